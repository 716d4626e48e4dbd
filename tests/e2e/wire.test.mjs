// The Wire tab shows the bytes: a dot-stuffed line as sent and as kept, a bare LF flagged, and
// where TLS starts. The Compare tab replays the course's first session against another profile
// and shows the replies that differ with both explanations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exchange, freshPage, screenshot, showTab, type, usePlayground } from './harness.mjs';

const lab = usePlayground();

async function lineEnd(page, which) {
  await page.getByRole('combobox', { name: 'Line end' }).selectOption({ label: which });
}

test('the wire view shows a dot-stuffed line and a bare LF, and the smuggled dot ends Postfix\'s message', async () => {
  const page = await freshPage(lab);
  for (const line of ['EHLO student.example', 'STARTTLS', 'EHLO student.example', 'MAIL FROM:<student@playground.test>', 'RCPT TO:<bob@playground.test>']) await exchange(page, line);
  assert.match(await exchange(page, 'DATA'), /^354 /);
  await type(page, 'Subject: smuggling');
  await type(page, '');
  await type(page, '..hidden');
  // "hello" ended by LF alone, then a dot ended by CRLF: LF . CRLF.
  await lineEnd(page, 'LF only');
  await type(page, 'hello');
  await lineEnd(page, 'CRLF');
  assert.match(await exchange(page, '.'), /^250 2\.0\.0 Ok: queued as/, 'Postfix 3.7 took LF . CRLF as the end of the message');
  assert.match(await exchange(page, 'MAIL FROM:<ceo@playground.test>'), /^250 2\.1\.0/, 'what follows is read as a command');

  await showTab(page, 'Wire');
  const wire = page.getByRole('list', { name: 'Bytes on the wire' });
  const stuffed = wire.getByRole('listitem').filter({ hasText: /^C:\.\.hidden/ });
  await stuffed.getByText('Dot-stuffed: sent as \u201c..hidden\u201d, the message holds \u201c.hidden\u201d').waitFor();
  assert.equal(await stuffed.locator('.glyph').first().getAttribute('title'), 'CR LF (0x0D 0x0A): the line end');
  const bare = wire.locator('li.wire-line.flagged').filter({ hasText: /^C:hello/ });
  assert.equal(await bare.locator('.glyph.flag').getAttribute('title'), 'bare LF (0x0A) without CR');
  await bare.getByText(/^Bare LF: a line end without CR/).waitFor();
  await wire.getByRole('listitem').filter({ hasText: /^C:\./ }).getByText(/SMTP smuggling \(CVE-2023-51764\)/).waitFor();
  await wire.getByText(/^TLS starts here \(TLSv1\.3/).waitFor();
  assert.match(await wire.locator('li.wire-line.client').first().locator('.length').innerText(), /^22\/512$/, 'EHLO student.example and CRLF, against 512');
  await screenshot(page, 'wire-view');
  await page.close();
});

test('the course\'s first session compared between postfix and exchange shows differing replies, both explained', async () => {
  const page = await freshPage(lab);
  for (const line of ['HELO student.example', 'MAIL FROM:<student@playground.test>', 'RCPT TO:<bob@playground.test>']) await exchange(page, line);
  assert.match(await exchange(page, 'DATA'), /^354 /);
  for (const line of ['Subject: lab', '', 'Hello Bob.']) await type(page, line);
  assert.match(await exchange(page, '.'), /^250 2\.0\.0 Ok: queued as/);
  await exchange(page, 'QUIT');

  await showTab(page, 'Compare');
  const chooser = page.getByRole('combobox', { name: 'Profile to compare with' });
  assert.equal(await chooser.inputValue(), 'exchange', 'Exchange is offered beside Postfix');
  const table = page.getByRole('table', { name: /^this session \(postfix\) and exchange, reply by reply: \d+ of 7 differ/ });
  const data = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'DATA', exact: true }) });
  const cells = data.getByRole('cell');
  assert.match(await cells.nth(0).innerText(), /^354 End data with <CR><LF>\.<CR><LF>/);
  assert.match(await cells.nth(1).innerText(), /^354 Start mail input; end with <CRLF>\.<CRLF>/);
  for (const i of [0, 1]) assert.match(await cells.nth(i).locator('.why').innerText(), /header lines, an empty line, the body/);
  assert.ok((await table.locator('tr.differs').count()) >= 1);
  await screenshot(page, 'profile-diff');

  // The course's mainframe: EHLO would be refused where HELO is answered.
  await chooser.selectOption('zos');
  const zos = page.getByRole('table', { name: /^this session \(postfix\) and zos, reply by reply/ });
  await zos.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'HELO student.example' }) }).getByText('250 mvs1.playground.test is my domain name.').waitFor();
  await page.close();
});

test('the mainframe profile answers QUEU, and the Reference says who supports it', async () => {
  const page = await freshPage(lab);
  await showTab(page, 'Server');
  await page.getByRole('combobox', { name: 'Server profile' }).selectOption('zos');
  // The banner is the next connection's.
  await page.getByRole('button', { name: 'Reconnect' }).click();
  await page.getByRole('log', { name: 'Session transcript' }).getByText(/^220 mvs1\.playground\.test is running IBM MVS SMTP/).waitFor();
  assert.match(await exchange(page, 'EHLO student.example'), /^500 Command unrecognized: "EHLO"/);
  assert.match(await exchange(page, 'HELO student.example'), /^250 mvs1\.playground\.test is my domain name\./);
  assert.match(await exchange(page, 'QUEU'), /^250-Queues on mvs1\.playground\.test:/);
  await showTab(page, 'Reference');
  const table = page.getByRole('table', { name: 'Commands by server profile' });
  const queu = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'QUEU' }) });
  const cells = await queu.getByRole('cell').allInnerTexts();
  const headers = await table.getByRole('columnheader').allInnerTexts();
  assert.equal(cells[headers.indexOf('zos') - 1], 'yes');
  assert.equal(cells[headers.indexOf('cssmtp') - 1], 'no (not implemented)');
  assert.equal(cells[headers.indexOf('postfix') - 1], 'no (unknown)');
  await page.close();
});
