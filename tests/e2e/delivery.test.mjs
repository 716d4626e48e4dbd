// After the 250: on the Gmail submission profile a logged-in student sends to a user the remote
// domain does not know; the Mailbox shows the message's journey and the bounce, addressed to
// the envelope sender, with its delivery-status fields explained. A mock server with delivery on
// sends the same through its feed to a watching page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, freshPage, openWatching, screenshot, showTab, smtplib, startBridge, type, usePlayground } from './harness.mjs';

const lab = usePlayground();
let mock;
before(async () => {
  // A mock server told to deliver (it only captures by default).
  mock = await startBridge(['mock', '--smtp', '127.0.0.1:0', '--set', 'delivery="simulate"']);
});
after(async () => {
  await mock?.stop();
});

test('a bounce from nouser.example reaches the envelope sender\'s Mailbox with its journey', async () => {
  const page = await freshPage(lab);
  await showTab(page, 'Server');
  await page.getByRole('combobox', { name: 'Server profile' }).selectOption('gmail');
  await page.getByRole('button', { name: 'Reconnect' }).click();
  await page.getByRole('log', { name: 'Session transcript' }).getByText(/^220 smtp\.gmail\.com ESMTP/).waitFor();
  for (const line of ['EHLO student.example', 'STARTTLS', 'EHLO student.example']) await exchange(page, line);
  assert.match(await exchange(page, 'AUTH PLAIN AHN0dWRlbnQAc2VjcmV0'), /^235 2\.7\.0/);
  assert.match(await exchange(page, 'MAIL FROM:<student@gmail.com>'), /^250 2\.1\.0/);
  assert.match(await exchange(page, 'RCPT TO:<someone@nouser.example>'), /^250 2\.1\.5/, 'relayed: the refusal comes later');
  assert.match(await exchange(page, 'DATA'), /^354 /);
  for (const line of ['From: Student <student@gmail.com>', 'To: someone@nouser.example', 'Subject: are you there', 'Message-ID: <lab-1@gmail.com>', '', 'Hello?']) await type(page, line);
  assert.match(await exchange(page, '.'), /^250 2\.0\.0 OK/);
  const log = page.getByRole('log', { name: 'Session transcript' });
  await log.getByText(/After the 250: someone@nouser\.example failed \(5\.1\.1\)\. A bounce went to <student@gmail\.com> \(in the Mailbox\)\./).waitFor();

  await showTab(page, /Mailbox/);
  const inbox = page.getByRole('table', { name: 'Accepted messages' });
  // The original, with its journey.
  await inbox.getByRole('button', { name: 'are you there' }).click();
  const journey = page.getByRole('region', { name: 'Journey' });
  await journey.getByText(/MX lookup for nouser\.example: 10 mx\.nouser\.example/).waitFor();
  assert.equal(await journey.locator('pre.remote-reply').innerText(), '550 5.1.1 <someone@nouser.example>: Recipient address rejected: User unknown in virtual mailbox table');
  await journey.getByText(/^Failure \(bounce\) to <student@gmail\.com> about someone@nouser\.example, delivered to this Mailbox/).waitFor();
  await screenshot(page, 'delivery-journey');
  // The bounce: to MAIL FROM's address, from the null sender, its fields explained.
  const bounceRow = inbox.getByRole('row').filter({ hasText: 'Delivery Status Notification (Failure)' });
  assert.match(await bounceRow.innerText(), /student@gmail\.com/);
  await bounceRow.getByRole('button', { name: 'Delivery Status Notification (Failure)' }).click();
  const dsn = page.getByRole('region', { name: 'Delivery status notification' });
  await dsn.getByText('rfc822; someone@nouser.example').waitFor();
  await dsn.getByText('failed', { exact: true }).waitFor();
  await dsn.getByText(/^The RFC 3463 enhanced status code/).waitFor();
  await dsn.getByText('dns; mx.nouser.example').waitFor();
  const envelope = page.getByRole('region', { name: 'Envelope and header' });
  assert.match(await envelope.innerText(), /MAIL FROM\s+<>/, 'a bounce has the null sender');
  assert.match(await envelope.innerText(), /RCPT TO\s+student@gmail\.com/);
  await screenshot(page, 'delivery-bounce');
  await page.close();
});

test('dig in the Reference knows the delivery lesson\'s domains', async () => {
  const page = await freshPage(lab);
  await showTab(page, 'Reference');
  await page.getByRole('textbox', { name: 'Domain to look up' }).fill('full.example');
  const output = page.getByLabel('dig output');
  await output.getByText(/full\.example\.\s+3600\s+IN\s+MX\s+10 mx\.full\.example\./).waitFor();
  await page.getByText(/452 4\.2\.2 \(mailbox full\): the sender's server retries, then gives up/).waitFor();
  await page.close();
});

test('a mock server with delivery on shows a real client\'s journey and bounce in the watching page', async () => {
  const page = await openWatching(lab.browser.context, `${mock.url}?mode=mock`);
  await page.getByRole('status').filter({ hasText: `Watching real mail clients at ${mock.smtp}` }).waitFor();
  await smtplib(mock.smtp, `
import smtplib, sys
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10) as s:
    s.sendmail("lab@playground.test", ["someone@nouser.example"], "From: lab@playground.test\\r\\nSubject: lost\\r\\n\\r\\nhello\\r\\n")
`);
  await page.getByRole('log', { name: 'Session transcript' }).getByText(/After the 250: someone@nouser\.example failed \(5\.1\.1\)/).waitFor();
  await showTab(page, /Mailbox/);
  const inbox = page.getByRole('table', { name: 'Accepted messages' });
  await inbox.getByRole('row').filter({ hasText: 'Delivery Status Notification (Failure)' }).waitFor();
  await inbox.getByRole('button', { name: 'lost' }).click();
  await page.getByRole('region', { name: 'Journey' }).getByText(/^Failure \(bounce\) to <lab@playground\.test> about someone@nouser\.example/).waitFor();
  await page.close();
});
