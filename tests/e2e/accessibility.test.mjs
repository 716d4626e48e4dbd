// An automated accessibility audit (axe-core, from npm) of every view: no serious or critical
// violation. Keyboard use is checked by the other tests (tabs with arrows, Enter in the console).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audit, exchange, freshPage, showTab, usePlayground } from './harness.mjs';

const lab = usePlayground();
test('every view passes an axe audit, in light and dark', async () => {
  const page = await freshPage(lab);
  await exchange(page, 'EHLO student.example');
  await exchange(page, 'RCPT TO:<bob@playground.test>');
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const tab of ['Exercises', 'Timeline', 'Wire', 'Compare', 'Mailbox', 'Server', 'Reference']) {
      await showTab(page, new RegExp(`^${tab}`));
      await audit(page, `${tab} (${scheme})`);
    }
  }
  await page.close();
});
