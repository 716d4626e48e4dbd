// A mock server a teacher leaves open to a class: on the network (--public, on 0.0.0.0, reached
// here at 127.0.0.1) its mail and settings are read-only in every page until the admin token is
// entered, and the page tells students an address they can reach.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, launchBrowser, openPage, screenshot, showTab, startBridge } from './harness.mjs';

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
  await page.goto(`${bridge.url}?mode=mock`);
  // The page came from 127.0.0.1: that is where clients reach the server listening on 0.0.0.0.
  await page.getByRole('status').filter({ hasText: /Watching real mail clients at 127\.0\.0\.1:\d+/ }).waitFor();
  assert.equal(await page.getByText(/0\.0\.0\.0/).count(), 0, 'no unreachable 0.0.0.0 address is shown');
  await showTab(page, 'Server');
  const note = page.locator('.settings .read-only');
  assert.match(await note.innerText(), /needs the admin token/);
  assert.equal(await page.getByLabel('Server profile').isDisabled(), true);
  await showTab(page, /Mailbox/);
  assert.equal(await page.getByRole('button', { name: 'Delete all' }).isDisabled(), true);
  // A wrong token is refused, the right one unlocks (for this tab).
  await showTab(page, 'Server');
  await page.getByLabel('Admin token').fill('guess');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.locator('.banner').filter({ hasText: /not the admin token/ }).waitFor();
  await page.getByLabel('Admin token').fill('s3cret');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.waitForFunction(() => !document.querySelector('#profile')?.closest('fieldset')?.disabled);
  assert.equal(await page.locator('.settings .read-only').count(), 0);
  await screenshot(page, 'teacher-unlocked');
  await page.close();
});

test("a teacher's exercises load at run time: a good one is done, a broken one shown and not counted", async () => {
  const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'teacher-exercises-'));
  const own = JSON.parse(readFileSync('exercises/11-rset-noop.json', 'utf8'));
  own.id = 'teacher-rset';
  own.title = 'Our lab: RSET then NOOP';
  writeFileSync(join(dir, 'rset.json'), JSON.stringify(own));
  writeFileSync(join(dir, 'oops.json'), '{"id":"x","title":"t","goal":"g","background":"b","profile":"postfix","steps":[{"text":"s","check":{"kind":"replyy"}}],"solution":[]}');
  const served = await startBridge(['--exercises', dir]);
  try {
    const page = await browser.context.newPage();
    await page.goto(served.url);
    await showTab(page, 'Exercises');
    const back = page.getByRole('button', { name: 'All exercises' });
    if (await back.count()) await back.click();
    const list = page.getByRole('list', { name: 'Exercises' });
    await list.getByRole('button', { name: 'Start: Our lab: RSET then NOOP' }).waitFor();
    assert.match(await list.locator('.broken').innerText(), /teacher's oops\.json: field `steps\[0\]\.check\.kind`/);
    const builtIn = (await import('node:fs')).readdirSync('exercises').filter((f) => f.endsWith('.json')).length;
    assert.match(await page.locator('.course-summary').innerText(), new RegExp(`of ${builtIn + 1} exercises done`), 'the broken file is not counted');
    await list.getByRole('button', { name: 'Start: Our lab: RSET then NOOP' }).click();
    const input = page.getByRole('textbox', { name: 'SMTP command' });
    for (const line of ['EHLO student.example', 'MAIL FROM:<student@student.example>', 'RSET', 'NOOP', 'RCPT TO:<alice@playground.test>']) {
      await input.fill(line);
      await input.press('Enter');
    }
    await page.getByText('Exercise complete. Well done!').waitFor();
    await page.close();
  } finally {
    await served.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bridge carries the page inside: run from an empty folder, it serves a page that answers', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const empty = mkdtempSync(join(tmpdir(), 'bridge-alone-'));
  const alone = await startBridge([], { dir: null, cwd: empty });
  try {
    const page = await openPage(browser.context, alone.url);
    assert.match(await exchange(page, 'EHLO lab.example'), /^250-/);
    // The compressed copy is served to a browser that takes it.
    const response = await page.request.get(alone.url, { headers: { 'accept-encoding': 'br' } });
    assert.equal(response.headers()['content-encoding'], 'br');
    await page.close();
  } finally {
    await alone.stop();
    rmSync(empty, { recursive: true, force: true });
  }
});
