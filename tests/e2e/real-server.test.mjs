// The page's "Real server" mode: a session through smtp-bridge to aiosmtpd (real SMTP software)
// on loopback, explained from the real replies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { exchange, freePort, launchBrowser, openPage, screenshot, showTab, startAiosmtpd, startBridge, type } from './harness.mjs';

let smtp;
let bridge;
let browser;
before(async () => {
  smtp = await startAiosmtpd();
  bridge = await startBridge(['--allow', `localhost:${smtp.port}`, '--allow-private']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await bridge?.stop();
  await smtp?.stop();
});

test('a session with aiosmtpd through the bridge, explained', async () => {
  const page = await openPage(browser.context, bridge.url);
  await page.getByRole('radio', { name: 'Real server (bridge)' }).check();
  await page.getByRole('textbox', { name: 'Server host' }).fill('localhost');
  await page.getByRole('spinbutton', { name: 'Server port' }).fill(String(smtp.port));
  await page.getByRole('combobox', { name: 'Security' }).selectOption('plain');
  await page.getByRole('form', { name: 'Real server' }).getByRole('button', { name: 'Connect', exact: true }).click();
  const log = page.getByRole('log', { name: 'Session transcript' });
  await page.waitForFunction(() => /^220 /m.test(document.querySelector('.transcript .server pre')?.innerText ?? ''));
  assert.match(await log.innerText(), /Connected to localhost \(127\.0\.0\.1:\d+\)/);
  assert.match(await exchange(page, 'EHLO student.example'), /^250-/);
  // A real server's refusal is explained by code and enhanced code, for the command it answers.
  assert.match(await exchange(page, 'RCPT TO:<bob@example.org>'), /^503/);
  const note = await page.locator('.reply-note').last().innerText();
  assert.match(note, /5xx: permanent failure/);
  assert.match(note, /in answer to RCPT/);
  assert.match(await exchange(page, 'MAIL FROM:<student@example.org>'), /^250/);
  assert.match(await exchange(page, 'RCPT TO:<bob@example.org>'), /^250/);
  assert.match(await exchange(page, 'DATA'), /^354/);
  for (const line of ['Subject: through the bridge', '', 'Hello from the playground.']) await type(page, line);
  assert.match(await exchange(page, '.'), /^250/);
  assert.match(await exchange(page, 'QUIT'), /^221/);
  await log.getByText(/Connection closed by the server/).waitFor();
  await screenshot(page, 'real-server');
  // aiosmtpd received the message as sent.
  await new Promise((r) => setTimeout(r, 300));
  assert.match(smtp.output(), /Subject: through the bridge/);
  assert.match(smtp.output(), /Hello from the playground\./);
  await page.close();
});

test('a target off the allow-list is refused with the command that allows it', async () => {
  const page = await openPage(browser.context, bridge.url);
  await page.getByRole('radio', { name: 'Real server (bridge)' }).check();
  await page.getByRole('textbox', { name: 'Server host' }).fill('localhost');
  await page.getByRole('spinbutton', { name: 'Server port' }).fill('2');
  await page.getByRole('form', { name: 'Real server' }).getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('log', { name: 'Session transcript' }).getByText(/Target not allowed: localhost:2 is not on this bridge's allow-list/).waitFor();
  assert.match(await page.getByRole('log', { name: 'Session transcript' }).innerText(), /smtp-bridge --allow localhost:2/);
  await page.close();
});

async function connectTo(page, port, security = 'plain') {
  await page.getByRole('textbox', { name: 'Server host' }).fill('localhost');
  await page.getByRole('spinbutton', { name: 'Server port' }).fill(String(port));
  await page.getByRole('combobox', { name: 'Security' }).selectOption(security);
  await page.getByRole('form', { name: 'Real server' }).getByRole('button', { name: 'Connect', exact: true }).click();
}

test('the real-server exercise is completed through the bridge', async () => {
  const page = await openPage(browser.context, bridge.url);
  await showTab(page, 'Exercises');
  await page.getByRole('button', { name: 'Start: The same lab against a real server' }).click();
  // Starting it switches the console to the real-server mode.
  assert.equal(await page.getByRole('radio', { name: 'Real server (bridge)' }).isChecked(), true);
  await connectTo(page, smtp.port);
  await page.waitForFunction(() => /^220 /m.test(document.querySelector('.transcript .server pre')?.innerText ?? ''));
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'MAIL FROM:<student@example.org>');
  await exchange(page, 'RCPT TO:<bob@example.org>');
  await exchange(page, 'DATA');
  for (const line of ['Subject: exercise 19', '', 'Hello.']) await type(page, line);
  await exchange(page, '.');
  await exchange(page, 'QUIT');
  await page.getByText('Exercise complete. Well done!').waitFor();
  await page.close();
});

test('without a bridge, connecting says exactly how to start one', async () => {
  // The page served by a plain static server: there is no /bridge.
  const port = await freePort();
  const server = spawn(process.env.SMTP_TEST_PYTHON, ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', process.env.PLAYGROUND_DIST], { stdio: 'ignore' });
  try {
    const page = await browser.context.newPage();
    for (let i = 0; i < 50; i++) {
      try { await page.goto(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    await page.waitForSelector('.transcript .server pre');
    // A static server has no /bridge: Chromium logs the refused WebSocket by itself.
    browser.allowProblems(/404 \(File not found\)|WebSocket/);
    await page.getByRole('radio', { name: 'Real server (bridge)' }).check();
    await connectTo(page, 25, 'starttls');
    const log = page.getByRole('log', { name: 'Session transcript' });
    await log.getByText(/The bridge is not reachable at ws:\/\/127\.0\.0\.1:\d+\/bridge/).waitFor();
    assert.match(await log.innerText(), /Start it with `cargo xtask serve`/);
    await page.close();
  } finally {
    server.kill('SIGTERM');
  }
});
