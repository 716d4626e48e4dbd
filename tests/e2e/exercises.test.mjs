// Guided exercises through the page: steps are ticked from what the server did, a wrong step
// gets a hint explaining the reply, questions are answered in the panel.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, launchBrowser, openPage, screenshot, showTab, startBridge, type } from './harness.mjs';

let bridge;
let browser;
let page;
before(async () => {
  bridge = await startBridge();
  browser = await launchBrowser();
  page = await openPage(browser.context, bridge.url);
});
after(async () => {
  await browser?.close();
  await bridge?.stop();
});

const steps = () => page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
async function doneCount() {
  return (await steps().allInnerTexts()).filter((t) => t.includes('(done)')).length;
}
async function open(title) {
  await showTab(page, 'Exercises');
  const back = page.getByRole('button', { name: 'All exercises' });
  if (await back.count()) await back.click();
  await page.getByRole('button', { name: `Start: ${title}` }).click();
  await page.getByRole('article', { name: `Exercise: ${title}` }).waitFor();
}

test('the list shows every exercise with its state and the next one to do', async () => {
  await showTab(page, 'Exercises');
  const list = page.getByRole('list', { name: 'Exercises' });
  assert.ok((await list.getByRole('listitem').count()) >= 15);
  assert.match(await list.getByRole('listitem').first().innerText(), /Send a message by hand\s*Not started\s*Next/);
});

test('exercise 1: a wrong step gets a hint that explains the reply, then it is completed', async () => {
  await open('Send a message by hand');
  assert.match(await page.getByRole('log', { name: 'Session transcript' }).innerText(), /220 vm ESMTP Postfix/);
  await exchange(page, 'HELO student.example');
  assert.equal(await doneCount(), 1);
  // Wrong: DATA before any recipient.
  assert.match(await exchange(page, 'DATA'), /^503/);
  const hint = await page.locator('.exercise-feedback .hint').innerText();
  assert.match(hint, /The server answered 503 because: The message was refused because no RCPT TO was accepted yet/);
  assert.equal(await doneCount(), 1);
  await exchange(page, 'MAIL FROM:<student@student.example>');
  await exchange(page, 'RCPT TO:<alice@playground.test>');
  await exchange(page, 'DATA');
  for (const line of ['Subject: Lab 1', '', 'Hello Alice.']) await type(page, line);
  await exchange(page, '.');
  await exchange(page, 'QUIT');
  await page.getByText('Exercise complete. Well done!').waitFor();
  assert.equal(await doneCount(), 6);
  await screenshot(page, 'exercise');
  await page.getByRole('button', { name: 'All exercises' }).click();
  assert.match(await page.getByRole('list', { name: 'Exercises' }).getByRole('listitem').first().innerText(), /Done/);
});

test('exercise 11: RSET and NOOP', async () => {
  await open('RSET and NOOP');
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'MAIL FROM:<student@student.example>');
  await exchange(page, 'RSET');
  await exchange(page, 'NOOP');
  assert.match(await exchange(page, 'RCPT TO:<alice@playground.test>'), /^503 5\.5\.1 Error: need MAIL command/);
  await page.getByText('Exercise complete. Well done!').waitFor();
});

test('exercise 2: questions are answered in the panel, and a wrong answer does not count', async () => {
  await open('Read the EHLO extensions');
  await exchange(page, 'EHLO student.example');
  const size = page.getByRole('textbox', { name: 'Largest message size (octets)' });
  await size.fill('1024');
  await size.press('Enter');
  assert.equal(await doneCount(), 1);
  await size.fill('10240000');
  await size.press('Enter');
  assert.equal(await doneCount(), 2);
  const tls = page.getByRole('textbox', { name: 'Extension for TLS' });
  await tls.fill('starttls');
  await tls.press('Enter');
  await page.getByText('Exercise complete. Well done!').waitFor();
  // Progress survives a reload.
  await page.reload();
  await showTab(page, 'Exercises');
  await page.getByRole('button', { name: 'All exercises' }).click();
  assert.match(await page.getByRole('list', { name: 'Exercises' }).getByRole('listitem').nth(1).innerText(), /Done/);
  assert.match(await page.locator('.course-summary').innerText(), /^3 of \d+ exercises done/);
});
