// Faults and what-if branches in the page: a branch from the second RCPT's reply answered 452
// goes on to DATA with one recipient while the original stays beside it; a rule added in the
// Server tab changes the next reply.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, freshPage, openWatching, screenshot, showTab, smtplib as smtplibAt, startBridge, usePlayground } from './harness.mjs';

const lab = usePlayground();
let mock;
before(async () => {
  mock = await startBridge(['mock', '--smtp', '127.0.0.1:0', '--fault', 'rcpt#2 => 452 4.2.2 Mailbox full']);
});
after(async () => {
  await mock?.stop();
});

const smtplib = (program) => smtplibAt(mock.smtp, program);

test('a what-if branch answers the second RCPT 452 and goes on with one recipient', async () => {
  const page = await freshPage(lab);
  for (const line of ['HELO student.example', 'MAIL FROM:<alice@playground.test>', 'RCPT TO:<bob@playground.test>']) await exchange(page, line);
  assert.match(await exchange(page, 'RCPT TO:<carol@playground.test>'), /^250 2\.1\.5/);
  const log = page.getByRole('log', { name: 'Session transcript' });
  const whatIfs = log.getByRole('button', { name: /^What if/ });
  assert.equal(await whatIfs.count(), 5, 'one on every reply');
  await whatIfs.nth(4).click();
  const picker = page.getByRole('dialog', { name: 'What if the server had answered otherwise' });
  await picker.getByRole('button', { name: 'Answer 452 4.2.2 Mailbox full' }).click();
  const bar = page.getByRole('navigation', { name: 'What-if branches' });
  await bar.getByRole('button', { name: /^Branch 1 .*RCPT answered 452 4\.2\.2 Mailbox full/, pressed: true }).waitFor();
  assert.match(await log.locator('.server pre').last().innerText(), /^452 4\.2\.2 Mailbox full/);
  await page.getByText(/What if: you chose this reply \(452 4\.2\.2 Mailbox full\) in a branch/).first().waitFor({ state: 'attached' });
  assert.match(await exchange(page, 'DATA'), /^354 /, 'the branch goes on to DATA');
  const table = page.getByRole('table', { name: /Original and Branch 1, line by line/ });
  const differing = table.locator('tr.differs');
  assert.ok((await differing.count()) >= 1, 'at least one line differs');
  const first = await differing.first().locator('td').allInnerTexts();
  assert.match(first[0], /250 2\.1\.5/);
  assert.match(first[1], /452 4\.2\.2 Mailbox full/);
  await screenshot(page, 'what-if-branch');
  // The timeline offers the same for the reply selected in it.
  await showTab(page, 'Timeline');
  await page.getByRole('list', { name: 'Sequence diagram' }).locator('g.row.to-client').nth(1).click();
  await page.getByRole('button', { name: /^What if the selected reply/ }).click();
  const fromTimeline = page.getByRole('dialog', { name: 'What if the server had answered otherwise' });
  assert.match(await fromTimeline.innerText(), /HELO with\s+250 vm/);
  await fromTimeline.getByRole('button', { name: 'Cancel' }).click();
  // The original is unchanged beside it.
  await bar.getByRole('button', { name: 'Original', exact: true }).click();
  assert.match(await log.locator('.server pre').last().innerText(), /^250 2\.1\.5/);
  assert.equal(await log.locator('.server pre').filter({ hasText: /^354/ }).count(), 0, 'the original never reached DATA');
  // Branches are part of the saved session: a reload brings both back.
  await page.reload();
  await page.getByRole('navigation', { name: 'What-if branches' }).getByRole('button', { name: /^Branch 1 / }).click();
  await page.getByRole('log', { name: 'Session transcript' }).locator('.server pre').filter({ hasText: /^354/ }).waitFor();
});

test('a fault rule added in the Server tab changes the next reply, and a malformed one is refused with its column', async () => {
  const page = await freshPage(lab);
  await exchange(page, 'HELO student.example');
  await showTab(page, 'Server');
  const rule = page.getByRole('textbox', { name: 'New fault rule' });
  await rule.fill('mail -> 451 oops');
  await page.getByRole('button', { name: 'Add rule' }).click();
  const alert = page.locator('.fault-rules').getByRole('alert');
  assert.match(await alert.innerText(), /column 6: expected `=>`/);
  assert.equal(await page.getByRole('textbox', { name: /^Fault rule \d/ }).count(), 0, 'nothing changed');
  await rule.fill('mail => 451 4.3.0 Queue is full, try later');
  await page.getByRole('button', { name: 'Add rule' }).click();
  await page.getByRole('textbox', { name: 'Fault rule 1' }).waitFor();
  await screenshot(page, 'fault-rules');
  await showTab(page, 'Timeline');
  assert.equal(await exchange(page, 'MAIL FROM:<alice@playground.test>'), '451 4.3.0 Queue is full, try later');
  await page.getByText(/Injected by fault rule 1 \(`mail => 451 4\.3\.0 Queue is full, try later`\)/).first().waitFor({ state: 'attached' });
  // Removing it gives the server's own answer back.
  await showTab(page, 'Server');
  await page.getByRole('button', { name: 'Remove fault rule 1' }).click();
  assert.match(await exchange(page, 'MAIL FROM:<alice@playground.test>'), /^250 2\.1\.0/);
});

test('in mock mode the client\'s reaction to an injected fault is said, and a what-if replays its session', async () => {
  const watching = await openWatching(lab.browser.context, `${mock.url}?mode=mock`);
  await watching.getByRole('status').filter({ hasText: `Watching real mail clients at ${mock.smtp}` }).waitFor();
  const out = await smtplib(`
import smtplib, sys
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10) as s:
    print(s.sendmail("lab@a.example", ["one@b.example", "two@b.example"], "Subject: two\\r\\n\\r\\nhello\\r\\n"))
`);
  assert.match(out, /'two@b\.example': \(452, b'4\.2\.2 Mailbox full'\)/);
  const sessions = watching.getByRole('table', { name: 'Client sessions' });
  await sessions.getByRole('row').filter({ hasText: 'fault → went on with the other recipients · closed by the client: QUIT' }).waitFor();
  const log = watching.getByRole('log', { name: 'Session transcript' });
  await log.getByText('After the injected fault, the client went on with the other recipients.').waitFor();
  await log.getByText(/Injected by fault rule 1 \(`rcpt#2 => 452 4\.2\.2 Mailbox full`\)/).first().waitFor({ state: 'attached' });
  await screenshot(watching, 'mock-fault-reaction');
  // What if the mock had taken the second recipient? Its session replays in the simulator.
  const replies = log.locator('.server pre');
  const second = await replies.filter({ hasText: /^452 4\.2\.2/ }).count();
  assert.equal(second, 1);
  const index = (await replies.allInnerTexts()).findIndex((t) => /^452 4\.2\.2/.test(t));
  await log.getByRole('button', { name: /^What if/ }).nth(index).click();
  await watching.getByRole('dialog', { name: 'What if the server had answered otherwise' }).getByRole('button', { name: 'Answer 250 2.1.5 Ok' }).click();
  assert.equal(await watching.getByRole('radio', { name: 'Simulated server' }).isChecked(), true);
  const bar = watching.getByRole('navigation', { name: 'What-if branches' });
  await bar.getByRole('button', { name: /^Replay 1: Mock session \d+, replayed with the mock's settings/ }).waitFor();
  await bar.getByRole('button', { name: /^Branch 2 \(of replay 1\): RCPT answered 250 2\.1\.5 Ok/, pressed: true }).waitFor();
  const texts = await watching.getByRole('log', { name: 'Session transcript' }).locator('.server pre').allInnerTexts();
  assert.equal(texts.filter((t) => /^452/.test(t)).length, 0, 'the branch took both recipients');
  const table = watching.getByRole('table', { name: /Replay 1 and Branch 2, line by line/ });
  assert.ok((await table.locator('tr.differs').count()) >= 1);
});
