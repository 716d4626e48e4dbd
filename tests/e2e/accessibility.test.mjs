// An automated accessibility audit (axe-core, from npm) of every view: no serious or critical
// violation. Keyboard use is checked by the other tests (tabs with arrows, Enter in the console).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { exchange, freshPage, usePlayground } from './harness.mjs';

const lab = usePlayground();
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

async function audit(page, what) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const { violations } = await axe.run(document, { resultTypes: ['violations'] });
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(result, [], `${what}: accessibility violations`);
}

test('every view passes an axe audit, in light and dark', async () => {
  const page = await freshPage(lab);
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'RCPT TO:<bob@playground.test>');
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const tab of ['Exercises', 'Timeline', 'Mailbox', 'Server', 'Reference']) {
      await page.getByRole('tab', { name: new RegExp(`^${tab}`) }).click();
      await audit(page, `${tab} (${scheme})`);
    }
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});
