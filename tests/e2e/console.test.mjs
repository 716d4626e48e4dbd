// The console against the simulated server, driven as a student would, in real Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, freshPage, lastReply, screenshot, type, usePlayground } from './harness.mjs';

const lab = usePlayground();
const fresh = () => freshPage(lab);

function noProblems(page) {
}

test('the page greets with 220 and explains it', async () => {
  const page = await fresh();
  const log = page.getByRole('log', { name: 'Session transcript' });
  assert.match(await log.locator('.server pre').first().innerText(), /220 vm ESMTP Postfix/);
  assert.match(await log.locator('.reply-note').first().innerText(), /2xx: success/);
  await screenshot(page, 'greeting');
  noProblems(page);
  await page.close();
});

test('course session 1 typed line by line: replies and explanations', async () => {
  const page = await fresh();
  const steps = [
    ['HELO student.example', /^250 vm$/],
    ['MAIL FROM:<student@student.example>', /^250 2\.1\.0 Ok$/],
    ['RCPT TO:<alice@playground.test>', /^250 2\.1\.5 Ok$/],
    ['DATA', /^354 End data with <CR><LF>\.<CR><LF>$/],
  ];
  for (const [line, reply] of steps) {
    assert.match(await exchange(page, line), reply, line);
  }
  // Message mode says how the message ends.
  await page.getByRole('status').filter({ hasText: 'End the message with a line holding only' }).waitFor();
  for (const line of ['Subject: Lab 1', '', 'Hello Alice.', '.']) await type(page, line);
  await page.waitForFunction(() => /queued as/.test(document.querySelector('.transcript').innerText));
  assert.match(await lastReply(page), /250 2\.0\.0 Ok: queued as [0-9A-F]{10}/);
  const note = page.locator('.reply-note').last();
  await note.locator('summary').click();
  assert.match(await note.innerText(), /took responsibility for delivering it/);
  // While connected, the button opens a new connection; once closed, it just connects.
  assert.equal(await page.getByRole('button', { name: 'Reconnect', exact: true }).count(), 1);
  await type(page, 'QUIT');
  await page.waitForFunction(() => /221 2\.0\.0 Bye/.test(document.querySelector('.transcript').innerText));
  assert.match(await page.getByRole('log', { name: 'Session transcript' }).innerText(), /Connection closed/);
  await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
  await screenshot(page, 'session-1');
  noProblems(page);
  await page.close();
});

test('RCPT before MAIL gets 503 and says why, expanded', async () => {
  const page = await fresh();
  await type(page, 'EHLO student.example');
  await type(page, 'RCPT TO:<bob@playground.test>');
  await page.waitForFunction(() => /503 5\.5\.1/.test(document.querySelector('.transcript').innerText));
  const note = page.locator('details.reply-note').last();
  assert.equal(await note.getAttribute('open'), '', '4xx/5xx notes are open by default');
  const text = await note.innerText();
  assert.match(text, /5xx: permanent failure/);
  assert.match(text, /RCPT came before MAIL FROM/);
  assert.match(text, /5\.5\.1/);
  assert.ok(await note.getByRole('link', { name: /RFC 5321 §4\.1\.4/ }).count());
  noProblems(page);
  await page.close();
});

test('AUTH LOGIN shows the base64 decodes inline', async () => {
  const page = await fresh();
  await type(page, 'EHLO student.example');
  await type(page, 'AUTH LOGIN');
  await page.waitForFunction(() => /334 VXNlcm5hbWU6/.test(document.querySelector('.transcript').innerText));
  assert.match(await page.locator('.reply-note').last().innerText(), /Username:/);
  await type(page, 'c3R1ZGVudA==');
  await page.waitForFunction(() => /334 UGFzc3dvcmQ6/.test(document.querySelector('.transcript').innerText));
  const log = page.getByRole('log', { name: 'Session transcript' });
  assert.match(await log.innerText(), /decoded: “student”/);
  await type(page, 'c2VjcmV0');
  await page.waitForFunction(() => /235 2\.7\.0/.test(document.querySelector('.transcript').innerText));
  assert.match(await log.innerText(), /decoded: “\*\*\*\*\*\*”/);
  assert.match(await log.innerText(), /Authenticated as student/);
  noProblems(page);
  await page.close();
});
