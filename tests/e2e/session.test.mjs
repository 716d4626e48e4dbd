// The session beyond the console: mailbox, timeline, settings, sharing, reload, bad saved data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, freshPage, screenshot, showTab, type, usePlayground } from './harness.mjs';

const lab = usePlayground();
const fresh = () => freshPage(lab);

async function sendMessage(page, from, to, lines) {
  assert.match(await exchange(page, 'EHLO student.example'), /^250-vm/);
  assert.match(await exchange(page, `MAIL FROM:<${from}>`), /^250 /);
  assert.match(await exchange(page, `RCPT TO:<${to}>`), /^250 /);
  assert.match(await exchange(page, 'DATA'), /^354 /);
  for (const line of lines) await type(page, line);
  assert.match(await exchange(page, '.'), /^250 2\.0\.0 Ok: queued as/);
}

test('a multi-line message with a dot-stuffed line arrives intact in the Mailbox', async () => {
  const page = await fresh();
  await sendMessage(page, 'student@playground.test', 'bob@playground.test', [
    'From: student@playground.test', 'To: bob@playground.test', 'Subject: Dots', '', 'first line', '..leading dot', 'last line',
  ]);
  // The console explains the doubled dot.
  assert.match(await page.getByRole('log', { name: 'Session transcript' }).innerText(), /Dot-stuffed: the server removes the first dot/);
  await showTab(page, /Mailbox/);
  await page.getByRole('button', { name: 'Dots' }).click();
  const body = await page.getByRole('region', { name: 'Body' }).innerText();
  assert.match(body, /first line\n\.leading dot\nlast line/);
  const raw = page.getByRole('article').locator('details.raw');
  await raw.locator('summary').click();
  assert.match(await raw.innerText(), /Received: from student\.example/);
  await screenshot(page, 'mailbox');
  await page.close();
});

test('a spoofed From shows the warning in the Mailbox', async () => {
  const page = await fresh();
  await sendMessage(page, 'student@playground.test', 'bob@playground.test', ['From: The Dean <dean@university.example>', 'To: bob@playground.test', 'Subject: You passed', '', 'hi']);
  await showTab(page, /Mailbox/);
  await page.getByRole('button', { name: 'You passed' }).click();
  const warnings = page.getByRole('list', { name: 'Warnings' });
  assert.match(await warnings.innerText(), /The From: header says dean@university\.example, but the envelope sender \(MAIL FROM\) was <student@playground\.test>/);
  await page.close();
});

test('the timeline has one arrow per exchanged line, and selecting one highlights the transcript', async () => {
  const page = await fresh();
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'MAIL FROM:<student@playground.test>');
  await exchange(page, 'RCPT TO:<nobody@playground.test>');
  // 1 greeting + 3 commands + 3 replies = 7 lines.
  const diagram = page.getByRole('list', { name: 'Sequence diagram' });
  const toServer = diagram.getByRole('listitem', { name: /^client to server:/ });
  const toClient = diagram.getByRole('listitem', { name: /^server to client:/ });
  assert.equal(await toServer.count(), 3);
  assert.equal(await toClient.count(), 4);
  await toClient.filter({ hasText: '550' }).click();
  const selected = page.getByRole('log', { name: 'Session transcript' }).locator('.entry.selected');
  assert.match(await selected.innerText(), /550 5\.1\.1/);
  // From the keyboard too: Enter on a focused arrow.
  await toClient.filter({ hasText: '220' }).focus();
  await page.keyboard.press('Enter');
  assert.match(await selected.innerText(), /^S:\s*220 /);
  // And the other way: a transcript line selects its arrow.
  await page.getByRole('log', { name: 'Session transcript' }).getByText('MAIL FROM:<student@playground.test>').click();
  assert.match(await diagram.locator('.row.selected').getAttribute('aria-label'), /^client to server: MAIL FROM:<student@playground\.test>/);
  await screenshot(page, 'timeline');
  await page.close();
});

test('turning on "auth required" changes the next reply', async () => {
  const page = await fresh();
  await exchange(page, 'EHLO student.example');
  await showTab(page, 'Server');
  await page.getByRole('checkbox', { name: 'Require AUTH before MAIL (port 587)' }).check();
  assert.match(await exchange(page, 'MAIL FROM:<student@playground.test>'), /^530 5\.7\.0/);
  assert.match(await page.locator('.reply-note').last().innerText(), /submission server/);
  await screenshot(page, 'settings');
  await page.getByRole('checkbox', { name: 'Require AUTH before MAIL (port 587)' }).uncheck();
  await page.close();
});

test('a setting the server cannot run with is refused beside the field, and nothing changes', async () => {
  const page = await fresh();
  assert.match(await exchange(page, 'EHLO keep.example'), /^250/);
  await showTab(page, 'Server');
  const timeout = page.getByRole('spinbutton', { name: 'Idle timeout (seconds)' });
  const before = await timeout.inputValue();
  await timeout.fill('0');
  await timeout.press('Enter');
  await timeout.blur();
  const alert = page.locator('.knob', { has: timeout }).getByRole('alert');
  assert.match(await alert.innerText(), /idle_timeout_secs is 0: .*use 1 or more/);
  // After a reload (the session is kept), the field shows the setting in force: the refused
  // value did not apply.
  const reopened = async () => {
    await page.reload();
    await showTab(page, 'Server');
    return timeout.inputValue();
  };
  assert.equal(await reopened(), before);
  // (Had the refused value been saved, the reload would have refused the session and started a
  // new one; the session is still there.)
  assert.match(await page.getByRole('log', { name: 'Session transcript' }).innerText(), /EHLO keep\.example/);
  await timeout.fill('120');
  await timeout.blur();
  assert.equal(await alert.count(), 0, 'a usable value clears the message');
  assert.equal(await reopened(), '120', 'and applies');
  await page.close();
});

test('a share link replays the session in a new tab', async () => {
  const page = await fresh();
  await exchange(page, 'EHLO shared.example');
  await exchange(page, 'VRFY nobody-here');
  await page.getByRole('button', { name: 'Share session' }).click();
  const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
  assert.match(link, /#session=/);
  const other = await lab.browser.context.newPage();
  await other.goto(link);
  await other.getByText('Opened a shared session').waitFor();
  const text = await other.getByRole('log', { name: 'Session transcript' }).innerText();
  assert.match(text, /EHLO shared\.example/);
  assert.match(text, /550 5\.1\.1 <nobody-here>/);
  await other.close();
  await page.close();
});

test('a reload keeps the session', async () => {
  const page = await fresh();
  await exchange(page, 'EHLO reload.example');
  await exchange(page, 'MAIL FROM:<student@playground.test>');
  await page.reload();
  await page.waitForFunction(() => /MAIL FROM:<student@playground\.test>/.test(document.querySelector('.transcript')?.innerText ?? ''));
  // Still inside the transaction: a second MAIL is nested.
  assert.match(await exchange(page, 'MAIL FROM:<x@playground.test>'), /^503 5\.5\.1 Error: nested MAIL command/);
  await page.close();
});

test('a corrupt saved session is reset with a visible message', async () => {
  const page = await fresh();
  await page.evaluate(() => localStorage.setItem('smtp-playground/session/v1', '{"version":1,"log":[{"input":"bogus"'));
  await page.reload();
  await page.getByText('Your saved session could not be read, so a new one was started').waitFor();
  assert.match(await page.getByRole('log', { name: 'Session transcript' }).innerText(), /220 vm ESMTP Postfix/);
  await page.close();
});
