// Mock mode in the page: a real mail client (Python's smtplib) sends to `smtp-bridge mock`, and
// the page watching it shows the session live in the session list, the console, the timeline
// and the Mailbox; the Server tab changes what the next client gets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { audit, launchBrowser, openWatching as openWatchingAt, screenshot, showTab, smtplib as smtplibAt, startBridge } from './harness.mjs';

let bridge;
let plain;
let browser;
before(async () => {
  bridge = await startBridge(['mock', '--smtp', '127.0.0.1:0']);
  plain = await startBridge();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await bridge?.stop();
  await plain?.stop();
});

const smtplib = (program) => smtplibAt(bridge.smtp, program);

const SEND = `
import smtplib, ssl, sys
context = ssl._create_unverified_context()  # the mock's certificate is made at start
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10) as s:
    s.ehlo("lab-pc.example")
    s.starttls(context=context)
    s.login("student", "secret")
    s.sendmail("campaign@lab.example", ["alice@customers.example", "bob@customers.example"],
        "From: ceo@bank.example\\r\\nTo: alice@customers.example\\r\\nSubject: Spring campaign\\r\\n\\r\\nHello from the lab program.\\r\\n")
print("sent")
`;

const UNAUTHENTICATED = `
import smtplib, sys
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10) as s:
    try:
        s.sendmail("campaign@lab.example", ["alice@customers.example"], "Subject: x\\r\\n\\r\\nx\\r\\n")
        print("accepted")
    except smtplib.SMTPSenderRefused as e:
        print("refused", e.smtp_code)
`;

const openWatching = (url) => openWatchingAt(browser.context, url);

test('a real client session appears live in the list, console, timeline and mailbox', async () => {
  const page = await openWatching(`${bridge.url}?mode=mock`);
  assert.equal(await page.getByRole('radio', { name: 'Live mock server' }).isChecked(), true);
  await page.getByRole('status').filter({ hasText: `Watching real mail clients at ${bridge.smtp}` }).waitFor();
  await page.getByText(`No client has connected yet. Point a mail client at ${bridge.smtp}`).waitFor();

  assert.match(await smtplib(SEND), /sent/);

  const sessions = page.getByRole('table', { name: 'Client sessions' });
  const row = sessions.getByRole('row').filter({ hasText: 'closed by the client' });
  await row.waitFor();
  assert.match(await row.innerText(), /127\.0\.0\.1:\d+\s+\d\d:\d\d:\d\d\s+1\s+closed by the client/);
  // The account it logged in with: how a class's groups are told apart.
  assert.match(await row.innerText(), /closed by the client.*\s+student$/);
  assert.equal(await row.getByRole('button').getAttribute('aria-pressed'), 'true', 'the newest session is shown');

  // The console shows what the client sent, each reply explained, read-only.
  const log = page.getByRole('log', { name: 'Session transcript' });
  // (smtplib writes most verbs in lower case: `ehlo`, `mail FROM:`; SMTP verbs are case-insensitive.)
  const text = await log.innerText();
  for (const line of ['EHLO lab-pc.example', 'STARTTLS', 'AUTH PLAIN', 'MAIL FROM:<campaign@lab.example>', 'RCPT TO:<bob@customers.example>', 'DATA', 'QUIT']) {
    assert.ok(text.toLowerCase().includes(line.toLowerCase()), `${line} in ${text}`);
  }
  assert.match(text, /TLS started \(TLSv1\.3, TLS_AES_/);
  assert.match(text, /Authenticated as student/);
  assert.match(await page.locator('.reply-note').filter({ hasText: '354' }).first().innerText(), /3xx/);
  assert.equal(await page.getByRole('textbox', { name: 'SMTP command' }).getAttribute('readonly'), '');

  // One arrow per line exchanged in the timeline.
  await showTab(page, 'Timeline');
  const summary = await page.locator('.timeline-bar span').first().innerText();
  const lines = Number(summary.match(/(\d+) lines exchanged/)[1]);
  assert.ok(lines >= 20, summary);
  const diagram = page.getByRole('list', { name: 'Sequence diagram' });
  // (Only the rows in view are drawn; the newest are in view.)
  await diagram.getByRole('listitem', { name: /^client to server: quit$/i }).waitFor();
  await diagram.getByRole('listitem', { name: /^server to client: 221 2\.0\.0/ }).waitFor();

  // The mail is in the Mailbox, with the spoofed From flagged.
  await showTab(page, /Mailbox/);
  const inbox = page.getByRole('table', { name: 'Accepted messages' });
  await inbox.getByText('Spring campaign').waitFor();
  await inbox.getByRole('button', { name: /Spring campaign/ }).click();
  assert.match(await page.locator('.message').innerText(), /ceo@bank\.example/);
  assert.match(await page.locator(".message").innerText(), /Sent by\s+127\.0\.0\.1, as \S+, logged in as student/);
  await screenshot(page, 'mock-live');
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await audit(page, `mock mode (${scheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // Another session goes to the top of the list, and the console follows it.
  await showTab(page, 'Server');
  await page.getByText("These are the live mock server's settings").waitFor();
  await page.getByRole('checkbox', { name: 'Require AUTH before MAIL (port 587)' }).check();
  // The change reaches the mock server (its API says so) before the next client connects.
  for (let i = 0; ; i++) {
    const config = await (await fetch(`${bridge.url}api/v1/config`)).json();
    if (config.policy.auth_required) break;
    assert.ok(i < 50, 'the setting reached the mock server');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(await smtplib(UNAUTHENTICATED), /refused 530/);
  await page.waitForFunction(() => document.querySelectorAll('table.sessions tbody tr:not(.spacer)').length === 2);
  const newest = sessions.getByRole('row').nth(1).getByRole('cell');
  await newest.nth(3).filter({ hasText: 'closed by the client' }).waitFor();
  assert.equal(await newest.nth(2).innerText(), '0', 'no message in the refused session');
  await log.getByText(/mail FROM:<campaign@lab\.example>/i).first().waitFor();
  await page.locator('.transcript .server pre').filter({ hasText: /^530 5\.7\.0/ }).waitFor();

  // Choosing the first session shows it again.
  await sessions.getByRole('row').nth(2).getByRole('button').click();
  await log.getByText('Authenticated as student').waitFor();
  assert.equal(await page.getByRole('checkbox', { name: 'Follow the newest session' }).isChecked(), false);

  // A share link cannot replay real clients: the page says what to do instead.
  await page.getByRole('button', { name: 'Share session' }).click();
  await page.getByRole('status').filter({ hasText: 'Share links replay a simulated session' }).waitFor();
  await page.getByRole('button', { name: 'Dismiss' }).click();

  // Delete all from the page: the mock server's store is empty.
  await showTab(page, /Mailbox/);
  await page.getByRole('button', { name: 'Delete all' }).click();
  await page.getByText('No mail yet').waitFor();
  const list = await (await fetch(`${bridge.url}api/v1/messages`)).json();
  assert.equal(list.total, 0);
  await page.close();
});

test('a second page watching later gets the sessions so far', async () => {
  const page = await openWatching(`${bridge.url}?mode=mock`);
  const sessions = page.getByRole('table', { name: 'Client sessions' });
  await sessions.getByRole('row').filter({ hasText: 'closed by the client' }).first().waitFor();
  assert.ok((await sessions.getByRole('row').count()) >= 3, 'both earlier sessions and the header row');
  // What the server kept comes back whole: each command parsed again, each reply explained.
  await sessions.getByRole('row').filter({ hasText: 'student' }).getByRole('button').click();
  const log = page.getByRole('log', { name: 'Session transcript' });
  await log.getByText('Connection closed by the client: QUIT.').waitFor();
  const text = (await log.innerText()).toLowerCase();
  for (const line of ['ehlo lab-pc.example', 'mail from:<campaign@lab.example>', 'rcpt to:<bob@customers.example>', 'subject: spring campaign', 'authenticated as student']) {
    assert.ok(text.includes(line), `${line} in ${text}`);
  }
  assert.match(await page.locator('.reply-note').filter({ hasText: '354' }).first().innerText(), /3xx/);
  assert.match(text, /message \w+ \(\d+ octets\) accepted for alice@customers\.example, bob@customers\.example/);
  await screenshot(page, 'mock-late');
  await page.close();
});

test('mock mode on a page without a mock server says how to start one', async () => {
  const page = await openWatching(plain.url);
  await page.getByRole('log', { name: 'Session transcript' }).locator('.server pre').first().waitFor();
  await page.getByRole('radio', { name: 'Live mock server' }).check();
  const alert = page.getByRole('alert').filter({ hasText: 'not served by a live mock server' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /cargo xtask serve --mock/);
  // Typing is refused with a reason, not lost silently.
  await page.getByRole('radio', { name: 'Simulated server' }).check();
  await page.getByRole('textbox', { name: 'SMTP command' }).fill('NOOP');
  await page.getByRole('textbox', { name: 'SMTP command' }).press('Enter');
  await page.locator('.transcript .server pre').filter({ hasText: /^250 2\.0\.0/ }).waitFor();
  // The failed WebSocket is the only console message; Chromium logs it as an error by itself.
  browser.allowProblems(/WebSocket connection to .*\/api\/v1\/live' failed/);
  await page.close();
});

test('a class view: the session list filters and groups, and the Mailbox narrows to the chosen session', async () => {
  // Two more clients: another account, and a session without mail.
  await smtplib(SEND.replace('Spring campaign', 'First of two'));
  await smtplib(SEND.replace('Spring campaign', 'Second of two'));
  await smtplib(UNAUTHENTICATED);
  const page = await openWatching(`${bridge.url}?mode=mock`);
  const sessions = page.getByRole('table', { name: 'Client sessions' });
  await sessions.getByRole('row').filter({ hasText: 'closed by the client' }).first().waitFor();
  const rows = async () => (await sessions.locator('tbody tr:not(.spacer)').allInnerTexts()).map((t) => t.trim());
  const all = (await rows()).length;
  assert.ok(all >= 4, `${all} sessions listed`);
  // Filter by account: only the sessions that logged in as student.
  await page.getByLabel('Filter sessions (client, EHLO name, sender, account)').fill('student');
  await page.waitForFunction((n) => document.querySelectorAll('.sessions tbody tr:not(.spacer)').length < n, all);
  assert.ok((await rows()).every((r) => /student$/.test(r)), (await rows()).join('\n'));
  // Grouped by account: a heading per group.
  await page.getByLabel('Filter sessions (client, EHLO name, sender, account)').fill('');
  await page.getByLabel('Group sessions by').selectOption('account');
  await sessions.getByRole('rowheader', { name: /^student · \d+ session\(s\)$/ }).waitFor();
  await sessions.getByRole('rowheader', { name: /^\(not logged in\) · \d+ session\(s\)$/ }).waitFor();
  // The Mailbox narrowed to the chosen session: the newest (Second campaign) alone.
  await page.getByLabel('Group sessions by').selectOption('nothing');
  await showTab(page, /Mailbox/);
  const inbox = page.getByRole('table', { name: 'Accepted messages' });
  // The Mailbox's part is downloaded when the tab is first shown.
  await inbox.locator('tbody tr').first().waitFor();
  const before = await inbox.locator('tbody tr').count();
  assert.ok(before >= 2, `${before} messages`);
  await sessions.getByRole('row').filter({ hasText: 'student' }).first().getByRole('button').click();
  await page.getByLabel('Mailbox: only the chosen session (or its group)').check();
  for (let i = 0; i < 50 && (await inbox.locator('tbody tr').count()) !== 1; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await inbox.locator('tbody tr').count(), 1);
  assert.match(await inbox.innerText(), /Second of two/);
  await page.close();
});
