// The page comes in parts: the console answers before any part is downloaded, a tab's view comes
// the first time the tab is shown, a part that cannot be downloaded is said so with a way to try
// again, and once the page is idle every part is fetched, so that it keeps working offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, screenshot, showTab, usePlayground } from './harness.mjs';

const lab = usePlayground();
const isPart = (url) => /\/(split_|chunk_)[^/]*\.wasm$/.test(url);

/** A page on a first visit (nothing saved), counting the parts it fetches. */
async function firstVisit(route) {
  const page = await lab.browser.context.newPage();
  page.parts = [];
  page.on('request', (request) => { if (isPart(request.url())) page.parts.push(request.url()); });
  if (route) await page.route(/\/split_views-[0-9a-f]+\.wasm$/, route);
  // Nothing saved: storage cleared before the page's own scripts run, on this tab's first load.
  await page.addInitScript(() => {
    if (!sessionStorage.getItem('cleared')) {
      localStorage.clear();
      sessionStorage.setItem('cleared', 'yes');
    }
  });
  await page.goto(lab.bridge.url);
  return page;
}

test('the console answers before any part of the page is downloaded', async () => {
  // The parts held back: the console must not need them.
  const held = [];
  const page = await firstVisit((route) => { held.push(route); });
  await page.getByRole('log', { name: 'Session transcript' }).locator('.server pre').first().waitFor();
  assert.match(await exchange(page, 'EHLO student.example'), /^250-/);
  assert.match(await exchange(page, 'NOOP'), /^250 2\.0\.0 Ok/);
  // The Exercises tab, open on a first visit, waits for its part meanwhile.
  await page.getByRole('tabpanel', { name: 'Exercises' }).getByRole('status').filter({ hasText: 'Loading…' }).waitFor();
  for (const route of held) await route.continue();
  await page.unroute(/\/split_views-[0-9a-f]+\.wasm$/);
  await page.getByRole('button', { name: /^Start: / }).first().waitFor();
  await page.close();
});

test('a part that cannot be downloaded is said so, and Try again brings it once the network is back', async () => {
  const page = await firstVisit((route) => route.abort('internetdisconnected'));
  await page.getByRole('log', { name: 'Session transcript' }).locator('.server pre').first().waitFor();
  const panel = page.getByRole('tabpanel', { name: 'Exercises' });
  const alert = panel.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /^The Exercises view could not be downloaded: the server this page came from did not send it\.\s+Your session is kept\. The network may be down/);
  await screenshot(page, 'part-missing');
  // The console goes on meanwhile.
  assert.match(await exchange(page, 'NOOP'), /^250 /);
  await page.unroute(/\/split_views-[0-9a-f]+\.wasm$/);
  await panel.getByRole('button', { name: 'Try again' }).click();
  await page.getByRole('button', { name: /^Start: / }).first().waitFor();
  await showTab(page, 'Timeline');
  await page.getByRole('button', { name: 'Export JSON' }).waitFor();
  assert.equal(await page.locator('.crash').count(), 0, 'no crash banner');
  // Only the failed downloads were logged.
  lab.browser.allowProblems(/Failed to load resource|internet|TypeError: Failed to fetch|split/);
  await page.close();
});

test('once the page is idle every part is fetched, and the tabs then need no network', async () => {
  const page = await firstVisit();
  await page.getByRole('log', { name: 'Session transcript' }).locator('.server pre').first().waitFor();
  // The views (Exercises is open), then in the background the two modes' parts.
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /split_mock_mode-/.test(e.name)) && performance.getEntriesByType('resource').some((e) => /split_real_mode-/.test(e.name)), null, { timeout: 20000 });
  assert.ok(!page.parts.some((url) => /split_restore-/.test(url)), 'a first visit has nothing saved to read');
  await page.context().setOffline(true);
  try {
    for (const tab of ['Timeline', 'Wire', 'Compare', 'Mailbox', 'Server', 'Reference']) {
      await showTab(page, tab);
      assert.equal(await page.getByRole('tabpanel', { name: tab }).getByRole('alert').count(), 0, `${tab} came without the network`);
    }
  } finally {
    await page.context().setOffline(false);
  }
  await page.close();
});
