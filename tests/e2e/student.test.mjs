// What a student new to SMTP trips over, tried in the page: where the page starts, what happens
// to a line typed while disconnected, the handout's message without a blank line, notes that
// stay visible, exercises that say when an answer is wrong or a step can no longer happen, a
// share link that would carry a password, and the Reference's tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, freshPage, openPage, screenshot, showTab, type, usePlayground } from './harness.mjs';

const lab = usePlayground();

test('a first visit opens on the exercises, the status waiting for HELO/EHLO', async () => {
  // Nothing saved in this browser: a first visit.
  const page = await openPage(lab.browser.context, lab.bridge.url);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('log', { name: 'Session transcript' }).locator('.server pre').first().waitFor();
  assert.equal(await page.getByRole('tab', { name: 'Exercises' }).getAttribute('aria-selected'), 'true');
  assert.match(await page.getByRole('list', { name: 'Exercises' }).getByRole('listitem').first().innerText(), /Next/);
  assert.match(await page.locator('.console-bar .status').innerText(), /^Connected · waiting for HELO\/EHLO/);
  await screenshot(page, 'first-visit');
  await page.close();
});

test('a line typed while disconnected stays in the box, and the page says to press Connect', async () => {
  const page = await freshPage(lab);
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await type(page, 'EHLO student.example');
  const input = page.getByRole('textbox', { name: 'SMTP command' });
  assert.equal(await input.inputValue(), 'EHLO student.example');
  assert.match(await page.locator('.banner').innerText(), /Press Connect/);
  // The banner does not push the input off the screen.
  const box = await input.boundingBox();
  assert.ok(box.y + box.height <= 900, `the input ends at ${box.y + box.height}`);
  await page.close();
});

test('the handout\'s message without a blank line keeps its body, with a warning; notes stay visible', async () => {
  const page = await freshPage(lab);
  // The handout: an e-mail address as the HELO name, AUTH LOGIN after HELO, a space after the colon.
  assert.match(await exchange(page, 'HELO zotrim.uka@students.example'), /^250 /);
  const log = page.getByRole('log', { name: 'Session transcript' });
  assert.match(await log.locator('.command-note.tolerated').last().innerText(), /not an e-mail address/);
  assert.match(await exchange(page, 'AUTH LOGIN'), /^334 VXNlcm5hbWU6/);
  await exchange(page, 'c3R1ZGVudAo=');
  // `echo student | base64`: the newline is shown, and explained.
  assert.match(await log.locator('.command-note.decoded').last().innerText(), /student⏎/);
  assert.match(await exchange(page, 'c2VjcmV0'), /^535 /);
  assert.match(await page.locator('.reply-note').last().innerText(), /echo -n student \| base64/);
  await exchange(page, 'AUTH PLAIN AHN0dWRlbnQAc2VjcmV0');
  assert.match(await log.locator('.command-note.decoded').last().innerText(), /\\0student\\0\*\*\*\*\*\*/);
  assert.match(await exchange(page, 'MAIL FROM:<zotrim@students.example>'), /^250 /);
  assert.match(await exchange(page, 'RCPT TO: <bob@playground.test>'), /^250 /);
  assert.match(await log.locator('.command-note.tolerated').last().innerText(), /no space after the colon/);
  assert.match(await exchange(page, 'DATA'), /^354 /);
  for (const line of ['From: Zotrim <zotrim@students.example>', 'SUBJECT: 63-11 Async', 'Test mail SMTP', 'QUIT']) await type(page, line);
  // QUIT inside the message is message text: said beside the line.
  assert.match(await log.locator('.command-note').last().innerText(), /Still in the message/);
  assert.match(await exchange(page, '.'), /^250 /);
  await showTab(page, /Mailbox/);
  await page.getByRole('button', { name: '63-11 Async' }).click();
  assert.match(await page.getByRole('region', { name: 'Body' }).innerText(), /Test mail SMTP/);
  assert.match(await page.getByRole('article').innerText(), /no blank line before the body/);
  await screenshot(page, 'handout-message');
  await page.close();
});

test('exercises: a wrong answer is said, a fixed mistake loses its hint, steps out of order offer a restart', async () => {
  const page = await freshPage(lab);
  await showTab(page, 'Exercises');
  const back = page.getByRole('button', { name: 'All exercises' });
  if (await back.count()) await back.click();
  await page.getByRole('button', { name: 'Start: Read the EHLO extensions' }).click();
  await exchange(page, 'EHLO student.example');
  const size = page.getByRole('textbox', { name: 'Largest message size (octets)' });
  await size.fill('10 MB');
  await size.press('Enter');
  assert.match(await page.locator('.answer .verdict').first().innerText(), /“10 MB” is not it/);
  await page.getByRole('button', { name: 'All exercises' }).click();
  await page.getByRole('button', { name: 'Start: Send a message by hand' }).click();
  await exchange(page, 'HELO student.example');
  await exchange(page, 'MAIL FROM:student@student.example x');
  await page.locator('.exercise-feedback .hint').waitFor();
  await exchange(page, 'MAIL FROM:<student@student.example>');
  assert.equal(await page.locator('.exercise-feedback .hint').count(), 0, 'the hint went with the mistake');
  await page.getByRole('button', { name: 'All exercises' }).click();
  await page.getByRole('button', { name: 'Start: Authenticate with AUTH LOGIN' }).click();
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'AUTH PLAIN AHN0dWRlbnQAc2VjcmV0');
  const stuck = page.locator('.exercise-feedback .stuck');
  assert.match(await stuck.innerText(), /already logged in/);
  await stuck.getByRole('button', { name: 'Restart exercise' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.transcript .server pre').length === 1);
  assert.equal(await page.locator('.exercise-feedback .stuck').count(), 0);
  await page.close();
});

test('starting an exercise says the Mailbox starts empty, when it held mail', async () => {
  const page = await freshPage(lab);
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'AUTH PLAIN AHN0dWRlbnQAc2VjcmV0');
  await exchange(page, 'MAIL FROM:<student@playground.test>');
  await exchange(page, 'RCPT TO:<bob@playground.test>');
  await exchange(page, 'DATA');
  for (const line of ['Subject: kept?', '']) await type(page, line);
  assert.match(await exchange(page, '.'), /^250 /);
  await showTab(page, 'Exercises');
  const back = page.getByRole('button', { name: 'All exercises' });
  if (await back.count()) await back.click();
  await page.getByRole('button', { name: 'Start: RSET and NOOP' }).click();
  assert.match(await page.locator('.banner').innerText(), /the Mailbox starts empty: the 1 earlier message\(s\) went with the old session/);
  await page.close();
});

test('a share link that would carry a password is offered only after saying so', async () => {
  const page = await freshPage(lab);
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'AUTH PLAIN AHN0dWRlbnQAc2VjcmV0');
  await page.getByRole('button', { name: 'Share session' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Share a session with a password' });
  assert.match(await dialog.innerText(), /AUTH password/);
  assert.equal(await page.getByRole('textbox', { name: 'Share link' }).count(), 0);
  await dialog.getByRole('button', { name: 'Share with the password' }).click();
  await page.getByRole('textbox', { name: 'Share link' }).waitFor();
  // The timeline shows no password base64.
  await showTab(page, 'Timeline');
  const labels = await page.getByRole('list', { name: 'Sequence diagram' }).getByRole('listitem').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label')));
  assert.ok(labels.some((l) => /AUTH PLAIN \(base64 credentials hidden\)/.test(l)), labels.join('\n'));
  assert.ok(!labels.some((l) => l.includes('AHN0dWRlbnQAc2VjcmV0')));
  await page.close();
});

test('the Reference: enhanced codes by what they mean here, dig TXT, names outside the zone', async () => {
  const page = await freshPage(lab);
  await showTab(page, 'Reference');
  await page.getByRole('searchbox', { name: 'Search the reference' }).fill('greylist');
  const visible = await page.locator('.reference .ref-item:not([hidden])').allInnerTexts();
  assert.ok(visible.some((t) => /4\.7\.1/.test(t) && /Greylisted/.test(t)), visible.join('\n'));
  await page.getByRole('textbox', { name: 'Domain to look up' }).fill('university.example');
  await page.getByRole('combobox', { name: 'Record type' }).selectOption('TXT');
  assert.match(await page.getByLabel('dig output').innerText(), /v=spf1 ip4:203\.0\.113\.0\/24 -all/);
  await page.getByRole('textbox', { name: 'Domain to look up' }).fill('gmail.com');
  assert.match(await page.getByLabel('dig output').innerText(), /not in the playground's simulated zone/);
  await page.getByRole('textbox', { name: 'Text to encode or decode' }).fill('c3R1ZGVudAo=');
  assert.equal(await page.getByRole('status', { name: 'Base64 decoded' }).or(page.locator('output[aria-label="Base64 decoded"]')).first().innerText(), 'student⏎');
  await page.close();
});

test('the MIME builder\'s message, pasted after DATA, arrives with its attachment', async () => {
  const page = await freshPage(lab);
  await showTab(page, 'Reference');
  await page.getByRole('textbox', { name: 'MIME builder: Attachment name' }).fill('notes.txt');
  const message = await page.getByLabel('MIME message to paste').innerText();
  assert.match(message, /Content-Transfer-Encoding: base64/);
  await exchange(page, 'EHLO student.example');
  // (An earlier exercise may have left the server requiring a login.)
  await exchange(page, 'AUTH PLAIN AHN0dWRlbnQAc2VjcmV0');
  await exchange(page, 'MAIL FROM:<student@playground.test>');
  await exchange(page, 'RCPT TO:<bob@playground.test>');
  await exchange(page, 'DATA');
  await page.evaluate((text) => {
    const input = document.querySelector('input[aria-label="SMTP command"]');
    const data = new DataTransfer();
    data.setData('text', `${text.trimEnd()}\n.\n`);
    input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, message);
  await page.waitForFunction(() => /Ok: queued as/.test(document.querySelector('.transcript')?.innerText ?? ''), null, { timeout: 5000 }).catch(async () => {
    throw new Error(`not queued: ${(await page.getByRole('log', { name: 'Session transcript' }).innerText()).slice(-1500)}`);
  });
  await showTab(page, /Mailbox/);
  await page.getByRole('button', { name: 'Lab report' }).click();
  assert.match(await page.getByRole('article').innerText(), /notes\.txt/);
  await page.close();
});

test('at phone width, choosing a tab brings its panel into view', async () => {
  const page = await freshPage(lab);
  await page.setViewportSize({ width: 390, height: 800 });
  await showTab(page, 'Reference');
  await page.waitForFunction(() => {
    const panel = document.getElementById('panel-reference');
    const box = panel.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0 && box.top >= -5;
  });
  await page.close();
});
