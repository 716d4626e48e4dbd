// A teacher's own server as a profile file, in the page: the Server tab loads the hand-written
// strict Exim-like profile (profiles/exim-strict.toml), the console answers in its words, a
// share link carries it, the Compare tab compares it with the Postfix it is based on, and a
// broken file is refused naming its field, with nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exchange, freshPage, screenshot, showTab, usePlayground } from './harness.mjs';

const lab = usePlayground();
const EXIM = readFileSync(join(import.meta.dirname, '../../profiles/exim-strict.toml'));

async function loadProfile(page, name, buffer) {
  await showTab(page, 'Server');
  await page.getByLabel('Load a profile file (TOML)').setInputFiles({ name, mimeType: 'text/plain', buffer });
}

test('a hand-written profile file loads in the Server tab and the console answers in its words', async () => {
  const page = await freshPage(lab);
  await loadProfile(page, 'exim-strict.toml', EXIM);
  const status = page.getByRole('tabpanel', { name: 'Server' }).getByRole('status').filter({ hasText: 'Loaded' });
  assert.match(await status.innerText(), /^Loaded Exim 4\.96, strict \(the school's relay\) \(based on postfix\)/);
  await page.getByRole('tabpanel', { name: 'Server' }).getByRole('note').filter({ hasText: 'from a profile file (based on postfix)' }).waitFor();
  await screenshot(page, 'profile-file-loaded');
  // Its banner and EHLO list come with the next connection.
  await page.getByRole('button', { name: 'Reconnect' }).click();
  await page.locator('.transcript .server pre').filter({ hasText: /^220 mx\.school\.example ESMTP Exim 4\.96 / }).waitFor();
  const ehlo = await exchange(page, 'EHLO student.example');
  assert.match(ehlo, /^250-mx\.school\.example Hello student\.example/);
  assert.match(ehlo, /250-AUTH PLAIN LOGIN\r?\n250-CHUNKING\r?\n250-STARTTLS\r?\n250 HELP$/);
  assert.doesNotMatch(ehlo, /ENHANCEDSTATUSCODES/);
  // Strict: no space after the colon.
  assert.match(await exchange(page, 'MAIL FROM: <student@school.example>'), /^501 /);
  assert.equal(await exchange(page, 'MAIL FROM:<student@school.example>'), '250 OK');
  assert.equal(await exchange(page, 'RCPT TO:<nobody@school.example>'), '550 Unrouteable address');

  // A share link carries the profile: the other tab's server answers in the same words.
  await page.getByRole('button', { name: 'Share session' }).click();
  const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
  const other = await lab.browser.context.newPage();
  await other.goto(link);
  await other.getByText('Opened a shared session').waitFor();
  const shared = await other.getByRole('log', { name: 'Session transcript' }).innerText();
  assert.match(shared, /220 mx\.school\.example ESMTP Exim 4\.96/);
  assert.match(shared, /550 Unrouteable address/);
  await other.close();

  // Compared with the Postfix it is based on: the same lines, Postfix's words beside its own.
  await showTab(page, 'Compare');
  const chooser = page.getByRole('combobox', { name: 'Profile to compare with' });
  assert.equal(await chooser.inputValue(), 'postfix', 'a profile file is compared with its base');
  const table = page.getByRole('table', { name: /^this session \(your profile file, based on postfix\) and postfix, reply by reply: \d+ of \d+ differ/ });
  const rcpt = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'RCPT TO:<nobody@school.example>' }) });
  assert.match(await rcpt.getByRole('cell').nth(0).innerText(), /^550 Unrouteable address/);
  // Stock Postfix does not have school.example as a local domain: relaying, refused.
  assert.match(await rcpt.getByRole('cell').nth(1).innerText(), /^554 5\.7\.1 <nobody@school\.example>: Relay access denied/);
  assert.ok((await table.locator('tr.differs').count()) >= 3);
  await screenshot(page, 'profile-file-compare');
  await page.close();
});

test('a broken profile file is refused naming the field, and the server is unchanged', async () => {
  const page = await freshPage(lab);
  // Back to stock Postfix (choosing a profile drops a file's persona), then two broken files.
  await showTab(page, 'Server');
  await page.getByRole('combobox', { name: 'Server profile' }).selectOption('postfix');
  assert.match(await exchange(page, 'NOOP'), /^250 2\.0\.0 Ok/);
  await loadProfile(page, 'school.toml', Buffer.from('base = "postfix"\n[persona.replies]\nUserUnknown = "55 nobody"\n'));
  const alert = page.getByRole('tabpanel', { name: 'Server' }).getByRole('alert').filter({ hasText: 'school.toml' });
  assert.match(await alert.innerText(), /^school\.toml: persona\.replies\.UserUnknown: "55 nobody" must start with a reply code from 200 to 599.*Nothing was changed\.$/s);
  await loadProfile(page, 'school.toml', Buffer.from('base = "postfix"\n[policy\n'));
  await page.getByRole('tabpanel', { name: 'Server' }).getByRole('alert').filter({ hasText: /TOML parse error at line 2/ }).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Server profile' }).inputValue(), 'postfix');
  assert.match(await exchange(page, 'NOOP'), /^250 2\.0\.0 Ok/);
  await page.close();
});
