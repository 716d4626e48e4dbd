// The page under a monkey: 2,000 random lines (random code points, control characters,
// Unicode, very long lines, pasted blocks, control keys) and random clicks on every button, tab
// and mode, from a seeded generator so that a failure replays. Afterwards: no crash banner, no
// console error, and NOOP is still answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, openPage, screenshot, showTab, usePlayground } from './harness.mjs';

const lab = usePlayground(() => ['mock', '--smtp', '127.0.0.1:0']);
const LINES = Number(process.env.SMTP_CHAOS_LINES || 2000);
// Every random choice comes from this seed, printed at the start: a failing run replays with
// SMTP_CHAOS_SEED=<seed> cargo xtask test (or node --test tests/e2e/chaos.test.mjs).
const SEED = Number(process.env.SMTP_CHAOS_SEED || 20261130);

/** mulberry32: a small seeded generator. */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SMTP_WORDS = ['HELO', 'EHLO', 'MAIL FROM:<', 'RCPT TO:<', 'DATA', 'BDAT 5', 'RSET', 'NOOP', 'QUIT', 'VRFY', 'EXPN', 'HELP', 'AUTH PLAIN', 'AUTH LOGIN', 'STARTTLS', 'ETRN', '.', '..', ''];
const UNICODE = ['é', 'ß', '日本語', '🙂', '\u202e', '\u0301', '\u200b', 'Ω', '\ufeff', '𝔘'];

function randomLine(rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const kind = rand();
  if (kind < 0.3) return pick(SMTP_WORDS) + (rand() < 0.5 ? ' ' + Math.floor(rand() * 2 ** 32).toString(36) + '@x.example>' : '');
  if (kind < 0.5) return Array.from({ length: Math.floor(rand() * 40) }, () => String.fromCharCode(Math.floor(rand() * 0x250))).join('');
  if (kind < 0.65) return Array.from({ length: 1 + Math.floor(rand() * 12) }, () => pick(UNICODE)).join(pick([' ', '', '<', '@']));
  if (kind < 0.7) return 'x'.repeat(1000 + Math.floor(rand() * 20000));
  if (kind < 0.8) return Array.from({ length: 20 }, () => String.fromCharCode(Math.floor(rand() * 32))).join('');
  return pick(SMTP_WORDS) + ' ' + pick(UNICODE);
}

test('2,000 random lines and clicks leave the page working', async () => {
  const page = await openPage(lab.browser.context, lab.bridge.url);
  console.log(`chaos: seed ${SEED} (replay with SMTP_CHAOS_SEED=${SEED})`);
  const rand = generator(SEED);
  const input = page.getByRole('textbox', { name: 'SMTP command' });
  // Only controls that stay on this page: no links (they would leave it), no file downloads.
  const clickable = () => page.locator('button:visible, [role=tab]:visible, input[type=radio]:visible, input[type=checkbox]:visible, summary:visible').all();
  let clicks = 0;
  for (let i = 0; i < LINES; i++) {
    const r = rand();
    if (r < 0.08) {
      const controls = await clickable();
      const control = controls[Math.floor(rand() * controls.length)];
      const name = ((await control.getAttribute('aria-label')) || (await control.innerText().catch(() => '')) || '').trim();
      if (/^(Export|Share|Add preset|Add rule|Remove|Unlock|Reload)/.test(name)) continue;
      await control.click({ timeout: 2000 }).catch(() => {});
      clicks++;
      continue;
    }
    // The console's input exists in every mode (read-only while watching a mock server).
    if (!(await input.isEditable().catch(() => false))) {
      await page.getByRole('radio', { name: 'Simulated server' }).check();
    }
    if (r < 0.12) {
      // A pasted block of several lines.
      const block = Array.from({ length: 2 + Math.floor(rand() * 6) }, () => randomLine(rand)).join('\r\n');
      await input.focus();
      await page.evaluate((text) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      }, block);
      continue;
    }
    if (r < 0.16) {
      await input.press(['ArrowUp', 'ArrowDown', 'Tab', 'Escape', 'Backspace', 'Home', 'End'][Math.floor(rand() * 7)]).catch(() => {});
      continue;
    }
    await input.fill(randomLine(rand));
    await input.press('Enter');
  }
  assert.equal(await page.locator('.crash').count(), 0, 'no crash banner');
  await screenshot(page, 'chaos-after');
  // Back to a plain simulated connection: NOOP is answered.
  await page.getByRole('radio', { name: 'Simulated server' }).check();
  await showTab(page, 'Server');
  await page.getByRole('combobox', { name: 'Server profile' }).selectOption('mock');
  await page.getByRole('combobox', { name: 'Server profile' }).selectOption('postfix');
  const connect = page.getByRole('button', { name: 'Connect', exact: true });
  if (await connect.isVisible()) await connect.click();
  else await page.getByRole('button', { name: 'Reconnect' }).click();
  assert.match(await exchange(page, 'NOOP'), /^250 2\.0\.0 Ok/);
  console.log(`figure: ${LINES} random lines and ${clicks} random clicks, no crash, NOOP answered`);
});
