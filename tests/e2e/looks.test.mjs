// How the page looks: a 390 px phone without horizontal scrolling, the dark theme, and the
// screenshots the README shows (saved under artifacts/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, screenshot, showTab, type, usePlayground } from './harness.mjs';

const lab = usePlayground();

async function typical(page) {
  await page.goto(lab.bridge.url);
  await page.waitForSelector('.transcript .server pre');
  await page.getByRole('button', { name: 'Reset session' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.transcript .server pre').length === 1);
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'RCPT TO:<bob@playground.test>');
  await exchange(page, 'MAIL FROM:<student@playground.test>');
  await exchange(page, 'RCPT TO:<bob@playground.test>');
  await exchange(page, 'DATA');
  for (const line of ['From: The Dean <dean@university.example>', 'Subject: You passed', '', '..a dot-stuffed line']) await type(page, line);
  await exchange(page, '.');
}

test('on a 390 px phone nothing scrolls sideways and the input stays usable', async () => {
  const page = await lab.browser.context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await typical(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  const box = await page.getByRole('textbox', { name: 'SMTP command' }).boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'the command input fits the screen');
  await screenshot(page, 'phone');
  await page.close();
});

test('the dark theme follows prefers-color-scheme', async () => {
  const page = await lab.browser.context.newPage();
  await page.emulateMedia({ colorScheme: 'dark' });
  await typical(page);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, 'rgb(20, 23, 29)');
  await screenshot(page, 'dark');
  await showTab(page, /Mailbox/);
  await page.getByRole('button', { name: 'You passed' }).click();
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, 'readme-mailbox');
  await page.close();
});
