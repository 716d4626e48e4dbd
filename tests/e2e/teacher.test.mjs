// A mock server a teacher leaves open to a class: on the network (--public, on 0.0.0.0, reached
// here at 127.0.0.1) its mail and settings are read-only in every page until the admin token is
// entered, and the page tells students an address they can reach.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startBridge } from './harness.mjs';

let bridge;
let browser;
before(async () => {
  bridge = await startBridge(['--public', 'mock', '--smtp', '0.0.0.0:0', '--admin-token', 's3cret'], { listen: '0.0.0.0:0' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await bridge?.stop();
});

test('on the network the Server tab and Delete are locked until the admin token is given', async () => {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await page.goto(`${bridge.url}?mode=mock`);
  // The page came from 127.0.0.1: that is where clients reach the server listening on 0.0.0.0.
  await page.getByRole('status').filter({ hasText: /Watching real mail clients at 127\.0\.0\.1:\d+/ }).waitFor();
  assert.equal(await page.getByText(/0\.0\.0\.0/).count(), 0, 'no unreachable 0.0.0.0 address is shown');
  await page.getByRole('tab', { name: 'Server' }).click();
  const note = page.locator('.settings .read-only');
  assert.match(await note.innerText(), /needs the admin token/);
  assert.equal(await page.getByLabel('Server profile').isDisabled(), true);
  await page.getByRole('tab', { name: /Mailbox/ }).click();
  assert.equal(await page.getByRole('button', { name: 'Delete all' }).isDisabled(), true);
  // A wrong token is refused, the right one unlocks (for this tab).
  await page.getByRole('tab', { name: 'Server' }).click();
  await page.getByLabel('Admin token').fill('guess');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.locator('.banner').filter({ hasText: /not the admin token/ }).waitFor();
  await page.getByLabel('Admin token').fill('s3cret');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.waitForFunction(() => !document.querySelector('#profile')?.closest('fieldset')?.disabled);
  assert.equal(await page.locator('.settings .read-only').count(), 0);
  await screenshot(page, 'teacher-unlocked');
  assert.deepEqual(problems, []);
  await page.close();
});
