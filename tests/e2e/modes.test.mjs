// One session model for every mode: the simulator, a real server through the bridge (aiosmtpd)
// and a watched mock server (smtplib) show the same state band in the timeline and export the
// same JSON event schema; connecting again in real-server mode goes on talking.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exchange, launchBrowser, openPage, openWatching, showTab, startAiosmtpd, startBridge, type } from './harness.mjs';

let smtp;
let bridge;
let mock;
let browser;
before(async () => {
  smtp = await startAiosmtpd();
  bridge = await startBridge(['--allow', `localhost:${smtp.port}`, '--allow-private']);
  mock = await startBridge(['mock', '--smtp', '127.0.0.1:0']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await bridge?.stop();
  await mock?.stop();
  await smtp?.stop();
});

async function connectReal(page, button = 'Connect') {
  const form = page.getByRole('form', { name: 'Real server' });
  await page.getByRole('textbox', { name: 'Server host' }).fill('localhost');
  await page.getByRole('spinbutton', { name: 'Server port' }).fill(String(smtp.port));
  await page.getByRole('combobox', { name: 'Security' }).selectOption('plain');
  const greetings = await page.locator('.transcript .server pre').filter({ hasText: /^220 / }).count();
  await form.getByRole('button', { name: button, exact: true }).click();
  await page.waitForFunction((n) => [...document.querySelectorAll('.transcript .server pre')].filter((p) => /^220 /.test(p.innerText)).length > n, greetings);
}

/** The state band's words beside each reply arrow of the timeline, in order. */
async function replyStates(page) {
  await showTab(page, 'Timeline');
  const diagram = page.getByRole('list', { name: 'Sequence diagram' });
  await diagram.getByRole('listitem').first().waitFor();
  return diagram.locator('g.row.to-client .state').allTextContents();
}

/** Clicks Export JSON and checks the file against the event schema; returns the events. */
async function exportedEvents(page) {
  await showTab(page, 'Timeline');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  assert.equal(download.suggestedFilename(), 'smtp-session.json');
  const events = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.ok(Array.isArray(events) && events.length > 0, 'an array of events');
  const kinds = new Set(['connected', 'line_received', 'reply_sent', 'message_accepted', 'tls_started', 'auth_succeeded', 'auth_failed', 'closed']);
  for (const event of events) {
    assert.ok(kinds.has(event.event), `a known event: ${JSON.stringify(event)}`);
    assert.equal(typeof event.at, 'number');
    if (event.event === 'reply_sent') {
      assert.equal(typeof event.reply.code, 'number');
      assert.ok(Array.isArray(event.reply.lines));
      assert.equal(typeof event.state.phase, 'string');
      assert.ok('recipients' in event.envelope);
    }
    if (event.event === 'line_received') assert.equal(typeof event.raw, 'string');
  }
  return events;
}

test('real-server mode: Connect again while connected, and the session goes on', async () => {
  const page = await openPage(browser.context, bridge.url);
  await page.getByRole('radio', { name: 'Real server (bridge)' }).check();
  await connectReal(page);
  assert.match(await exchange(page, 'EHLO first.example'), /^250/);
  // While connected the button says what it does, as in the simulator.
  const form = page.getByRole('form', { name: 'Real server' });
  assert.equal(await form.getByRole('button', { name: 'Reconnect', exact: true }).count(), 1);
  await connectReal(page, 'Reconnect');
  // The old socket's end must not undo the new connection: the next command is sent.
  assert.match(await exchange(page, 'EHLO second.example'), /^250/);
  assert.match(await exchange(page, 'NOOP'), /^250/);
  assert.equal(await page.getByRole('status').filter({ hasText: 'Not connected to a real server' }).count(), 0);
  assert.match(await form.getByRole('status').innerText(), /^Connected · greeted/);
  await page.close();
});

test('real-server mode: the state column follows MAIL, RCPT, DATA and the end of data; JSON exports', async () => {
  const page = await openPage(browser.context, bridge.url);
  await page.getByRole('radio', { name: 'Real server (bridge)' }).check();
  await connectReal(page);
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'MAIL FROM:<student@example.org>');
  await exchange(page, 'RCPT TO:<bob@example.org>');
  await exchange(page, 'DATA');
  for (const line of ['Subject: states', '', 'hello']) await type(page, line);
  await exchange(page, '.');
  await exchange(page, 'QUIT');
  await page.getByRole('log', { name: 'Session transcript' }).getByText(/Connection closed by the server/).waitFor();
  assert.deepEqual(await replyStates(page), ['connected', 'greeted', 'mail', 'recipients', 'data', 'greeted', 'closed']);
  // "N lines exchanged" counts the arrows drawn.
  const summary = await page.locator('.timeline-bar span').first().innerText();
  const arrows = await page.getByRole('list', { name: 'Sequence diagram' }).locator('g.row.to-server, g.row.to-client').count();
  assert.equal(Number(summary.match(/(\d+) lines? exchanged/)[1]), arrows);
  const events = await exportedEvents(page);
  const replies = events.filter((e) => e.event === 'reply_sent');
  assert.deepEqual(replies.map((e) => e.reply.code), [220, 250, 250, 250, 354, 250, 221]);
  assert.equal(replies[3].envelope.recipients.length, 1);
  assert.ok(events.some((e) => e.event === 'line_received' && e.line.kind === 'data_end'));
  // The Wire tab has the real session's bytes too.
  await showTab(page, 'Wire');
  const wire = page.getByRole('list', { name: 'Bytes on the wire' });
  await wire.locator('li.wire-line.client').filter({ hasText: /^C:hello/ }).locator('.glyph', { hasText: 'CRLF' }).waitFor();
  // The curl export sends the same message to the same real server.
  await showTab(page, 'Timeline');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export curl' }).click()]);
  const dir = mkdtempSync(join(tmpdir(), 'smtp-playground-curl-'));
  try {
    await download.saveAs(join(dir, 'session.sh'));
    assert.match(readFileSync(join(dir, 'session.sh'), 'utf8'), new RegExp(`server="\\$\\{SMTP_SERVER:-localhost:${smtp.port}\\}"`));
    const before = smtp.output().split('MESSAGE FOLLOWS').length;
    await new Promise((resolve, reject) => execFile('sh', ['session.sh'], { cwd: dir, timeout: 30000 }, (error, out, err) => (error ? reject(new Error(`${error.message}${out}${err}`)) : resolve())));
    for (let i = 0; i < 50 && smtp.output().split('MESSAGE FOLLOWS').length === before; i++) await new Promise((r) => setTimeout(r, 100));
    const received = smtp.output().split('MESSAGE FOLLOWS');
    assert.equal(received.length, before + 1, `aiosmtpd received the exported message: ${smtp.output()}`);
    assert.match(received.at(-1), /Subject: states\r?\nX-Peer: .*\r?\n\r?\nhello\r?\n/, 'the same message');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await page.close();
});

const SEND = `
import smtplib, sys
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10) as s:
    s.sendmail("lab@lab.example", ["alice@customers.example"], "Subject: states\\r\\n\\r\\nhello\\r\\n")
print("sent")
`;

test('mock mode: the state column follows a real client, and JSON exports the same schema', async () => {
  const page = await openWatching(browser.context, `${mock.url}?mode=mock`);
  await page.getByRole('status').filter({ hasText: `Watching real mail clients at ${mock.smtp}` }).waitFor();
  const [host, port] = mock.smtp.split(':');
  const out = await new Promise((resolve, reject) => {
    const child = spawn(process.env.SMTP_TEST_PYTHON, ['-c', SEND, host, port], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => { text += d; });
    child.stderr.on('data', (d) => { text += d; });
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(text))));
  });
  assert.match(out, /sent/);
  await page.getByRole('table', { name: 'Client sessions' }).getByRole('row').filter({ hasText: 'closed by the client' }).waitFor();
  assert.deepEqual(await replyStates(page), ['connected', 'greeted', 'mail', 'recipients', 'data', 'greeted', 'closed']);
  const events = await exportedEvents(page);
  assert.ok(events.some((e) => e.event === 'message_accepted'));
  assert.ok(events.filter((e) => e.event === 'reply_sent').every((e) => typeof e.situation === 'string'), 'the simulator says why');
  await page.close();
});

test('simulated mode: JSON exports the same schema, with each reply\'s situation', async () => {
  const page = await openPage(browser.context, bridge.url);
  await page.getByRole('button', { name: 'Reset session' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.transcript .server pre').length === 1);
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'MAIL FROM:<student@playground.test>');
  assert.deepEqual(await replyStates(page), ['connected', 'greeted', 'mail']);
  const events = await exportedEvents(page);
  assert.deepEqual(events.filter((e) => e.event === 'reply_sent').map((e) => e.situation), ['Greeting', 'EhloAccepted', 'SenderAccepted']);
  await page.close();
});
