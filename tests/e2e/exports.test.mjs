// Taking a session away: the swaks and curl exports of a mock-mode session, run against the
// same mock server, deliver the same envelope and message; the Mermaid export renders with the
// mermaid npm package inside the browser.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exchange, freshPage, openWatching, screenshot, showTab, smtplib, startBridge, usePlayground } from './harness.mjs';

const lab = usePlayground();
let mock;
let dir;
before(async () => {
  mock = await startBridge(['mock', '--smtp', '127.0.0.1:0']);
  dir = mkdtempSync(join(tmpdir(), 'smtp-playground-exports-'));
});
after(async () => {
  await mock?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Clicks an export button in the Timeline tab and saves the file; resolves with its path. */
async function exported(page, name, file) {
  await showTab(page, 'Timeline');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name }).click()]);
  assert.equal(download.suggestedFilename(), file);
  const path = join(dir, file);
  await download.saveAs(path);
  return path;
}

function run(script) {
  return new Promise((resolve, reject) => {
    // The script's default server is the mock's address, as the page knows it.
    const env = { ...process.env };
    delete env.SMTP_SERVER;
    execFile('sh', [script], { cwd: dir, env, timeout: 30000 }, (error, stdout, stderr) => (error ? reject(new Error(`${script}: ${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout)));
  });
}

async function messages() {
  const list = await (await fetch(`${mock.url}api/v1/messages`)).json();
  return list.messages;
}

async function raw(id) {
  return await (await fetch(`${mock.url}api/v1/message/${id}/raw`)).text();
}

// The message as the client meant it; smtplib doubles the leading dot on the wire.
const CONTENT = 'From: Lab <lab@a.example>\r\nTo: one@b.example\r\nSubject: exports; #1 <test>\r\n\r\n.a line with a leading dot\r\nit\'s the body\r\n';

test('the swaks and curl exports of a mock session deliver the same envelope and message to the mock', async () => {
  const page = await openWatching(lab.browser.context, `${mock.url}?mode=mock`);
  await page.getByRole('status').filter({ hasText: `Watching real mail clients at ${mock.smtp}` }).waitFor();
  await smtplib(mock.smtp, `
import smtplib, sys
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="lab.example", timeout=10) as s:
    s.sendmail("lab@a.example", ["one@b.example", "two@c.example"], ${JSON.stringify(CONTENT)})
`);
  await page.getByRole('table', { name: 'Client sessions' }).getByRole('row').filter({ hasText: 'closed by the client: QUIT' }).waitFor();
  const [original] = await messages();
  assert.equal(original.helo, 'lab.example');

  // The Wire tab shows the watched client's bytes: smtplib doubled the leading dot.
  await showTab(page, 'Wire');
  const wire = page.getByRole('list', { name: 'Bytes on the wire' });
  await wire.getByText('Dot-stuffed: sent as \u201c..a line with a leading dot\u201d, the message holds \u201c.a line with a leading dot\u201d (RFC 5321 4.5.2: the server removes the first dot).').waitFor();
  await screenshot(page, 'mock-wire');
  const swaks = await exported(page, 'Export swaks', 'smtp-session-swaks.sh');
  const curl = await exported(page, 'Export curl', 'smtp-session-curl.sh');
  const script = readFileSync(swaks, 'utf8');
  assert.match(script, new RegExp(`server="\\$\\{SMTP_SERVER:-${mock.smtp.replace(/\./g, '\\.')}\\}"`), 'the mock is the default server');
  assert.match(script, /--from 'lab@a\.example' --to 'one@b\.example,two@c\.example' --data @message-1\.eml/);

  for (const [tool, path] of [['swaks', swaks], ['curl', curl]]) {
    const before = (await messages()).length;
    await run(path);
    const now = await messages();
    assert.equal(now.length, before + 1, `${tool} delivered one message`);
    const [newest] = now;
    assert.equal(newest.from, 'lab@a.example', `${tool}: the envelope sender`);
    assert.deepEqual(newest.to, ['one@b.example', 'two@c.example'], `${tool}: the envelope recipients`);
    assert.equal(newest.helo, 'lab.example', `${tool}: the name it greeted with`);
    const text = await raw(newest.id);
    // The mock prepends its trace headers; the message after them is the session's.
    assert.ok(text.endsWith(CONTENT), `${tool}: the same message arrives\n--- got ---\n${text}`);
  }
  await page.close();
});

test('the Mermaid export of a session with TLS, AUTH and awkward characters renders with mermaid', async () => {
  const page = await freshPage(lab);
  for (const line of ['EHLO student.example', 'STARTTLS', 'EHLO student.example', 'AUTH PLAIN AHN0dWRlbnQAc2VjcmV0', 'MAIL FROM:<student@playground.test>', 'RCPT TO:<alice@playground.test>', 'DATA']) await exchange(page, line);
  const input = page.getByRole('textbox', { name: 'SMTP command' });
  for (const line of ['Subject: a; b #2 <x>', '', 'body']) {
    await input.fill(line);
    await input.press('Enter');
  }
  assert.match(await exchange(page, '.'), /^250 2\.0\.0 Ok: queued as/);
  const path = await exported(page, 'Export Mermaid', 'smtp-session.mmd');
  const text = readFileSync(path, 'utf8');
  assert.ok(text.startsWith('sequenceDiagram\n'), text);
  assert.ok(!text.includes('AHN0dWRlbnQAc2VjcmV0'), 'the password stays out of the export');
  // Mermaid draws each line of a multi-line reply (joined with <br/>) as its own text.
  const arrows = text.split('\n').filter((l) => /->>/.test(l)).reduce((n, l) => n + l.split('<br/>').length, 0);

  // Render it with the mermaid package in a blank page of the same browser.
  const blank = await lab.browser.context.newPage();
  const errors = [];
  blank.on('pageerror', (err) => errors.push(err.message));
  await blank.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
  await blank.addScriptTag({ path: createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js') });
  const rendered = await blank.evaluate(async (source) => {
    // eslint-disable-next-line no-undef
    mermaid.initialize({ startOnLoad: false });
    // eslint-disable-next-line no-undef
    const { svg } = await mermaid.render('session', source);
    document.getElementById('out').innerHTML = svg;
    return { svg, messages: [...document.querySelectorAll('#out .messageText')].map((t) => t.textContent) };
  }, text);
  assert.match(rendered.svg, /^<svg/);
  assert.equal(rendered.messages.length, arrows, 'one text per line of every arrow');
  assert.ok(rendered.messages.includes('MAIL FROM:<student@playground.test>'), `the escaped brackets show as brackets: ${rendered.messages.join(' | ')}`);
  assert.ok(rendered.messages.some((m) => m.startsWith('(message: 3 lines')), 'the message as one arrow');
  assert.ok(rendered.messages.includes('250-vm') && rendered.messages.includes('250-STARTTLS'), 'a multi-line reply, line by line');
  await screenshot(blank, 'mermaid-export');
  assert.deepEqual(errors, []);
  await blank.close();
});

test('each of the six export buttons downloads its file', async () => {
  const page = await freshPage(lab);
  for (const line of ['EHLO student.example', 'MAIL FROM:<student@playground.test>', 'RCPT TO:<bob@playground.test>']) await exchange(page, line);
  assert.match(await exchange(page, 'DATA'), /^354 /);
  const input = page.getByRole('textbox', { name: 'SMTP command' });
  for (const line of ['Subject: six', '', 'hello']) {
    await input.fill(line);
    await input.press('Enter');
  }
  assert.match(await exchange(page, '.'), /^250 2\.0\.0 Ok: queued as/);
  const expected = [
    ['Export text', 'smtp-session.txt', (t) => t.startsWith('S: 220 vm ESMTP Postfix\n') && t.includes('C: MAIL FROM:<student@playground.test>\n')],
    ['Export JSON', 'smtp-session.json', (t) => Array.isArray(JSON.parse(t)) && JSON.parse(t).some((e) => e.event === 'message_accepted')],
    ['Export SVG', 'smtp-session.svg', (t) => t.startsWith('<svg') && t.endsWith('</svg>') && t.includes('MAIL FROM:&lt;student@playground.test&gt;')],
    ['Export swaks', 'smtp-session-swaks.sh', (t) => t.includes("--to 'bob@playground.test' --data @message-1.eml")],
    ['Export curl', 'smtp-session-curl.sh', (t) => t.includes("--mail-rcpt 'bob@playground.test' --upload-file message-1.eml")],
    ['Export Mermaid', 'smtp-session.mmd', (t) => t.startsWith('sequenceDiagram\n') && t.includes('C->>S: DATA\n')],
  ];
  for (const [button, file, check] of expected) {
    const path = await exported(page, button, file);
    const text = readFileSync(path, 'utf8');
    assert.ok(check(text), `${button}: ${text.slice(0, 400)}`);
  }
  await page.close();
});
