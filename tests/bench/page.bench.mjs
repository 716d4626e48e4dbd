// Browser timings for `cargo xtask bench`: navigation to an interactive console, command to a
// painted, explained reply, and frame times while scrolling a 10,000-event timeline.
import { launchBrowser, startBridge } from '../e2e/harness.mjs';

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const row = (name, value, goal) => console.log(`${name.padEnd(34)} ${value.padStart(12)}  goal: ${goal}`);

const bridge = await startBridge();
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  const loads = [];
  for (let i = 0; i < 10; i++) {
    await page.goto(`${bridge.url}?run=${i}`);
    await page.waitForFunction(() => document.querySelector('.transcript .server pre') && document.querySelector('input[aria-label="SMTP command"]'));
    loads.push(await page.evaluate(() => performance.now()));
  }
  await page.getByRole('button', { name: 'Reset session' }).click();

  const toDom = [];
  const toPaint = [];
  for (let i = 0; i < 60; i++) {
    const [dom, paint] = await page.evaluate(async () => {
      const input = document.querySelector('input[aria-label="SMTP command"]');
      const transcript = document.querySelector('.transcript');
      const before = transcript.querySelectorAll('.server pre').length;
      const t0 = performance.now();
      const shown = new Promise((resolve) => {
        const done = () => transcript.querySelectorAll('.server pre').length > before;
        const observer = new MutationObserver(() => { if (done()) { observer.disconnect(); resolve(performance.now()); } });
        observer.observe(transcript, { childList: true, subtree: true });
      });
      input.value = 'NOOP';
      input.form.requestSubmit();
      const t1 = await shown;
      await new Promise((r) => requestAnimationFrame(() => r()));
      return [t1 - t0, performance.now() - t0];
    });
    toDom.push(dom);
    toPaint.push(paint);
  }

  // 10,000 events: 5,000 NOOPs pasted as one pipelined script (a line and a reply each).
  await page.evaluate(() => {
    const input = document.querySelector('input[aria-label="SMTP command"]');
    const data = new DataTransfer();
    data.setData('text', 'NOOP\n'.repeat(5000));
    input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => /10\d\d\d lines exchanged/.test(document.querySelector('.timeline-bar span')?.textContent ?? ''), null, { timeout: 60000 });
  const frames = await page.evaluate(async () => {
    const box = document.querySelector('.timeline-scroll');
    const deltas = [];
    let last = performance.now();
    for (let i = 0; i < 120; i++) {
      box.scrollTop = (box.scrollHeight * i) / 120;
      await new Promise((r) => requestAnimationFrame(() => r()));
      const now = performance.now();
      deltas.push(now - last);
      last = now;
    }
    return deltas;
  });

  row('navigation to interactive (median)', `${percentile(loads, 50).toFixed(0)} ms`, 'at most 150 ms');
  row('command to explained reply in DOM (p95)', `${percentile(toDom, 95).toFixed(1)} ms`, 'at most 4 ms');
  row('command to next frame (p95)', `${percentile(toPaint, 95).toFixed(1)} ms`, 'at most 4 ms (includes waiting for the frame)');
  row('10k-event timeline scroll (max frame)', `${Math.max(...frames).toFixed(1)} ms`, 'under 50 ms');
  row('10k-event timeline scroll (p95 frame)', `${percentile(frames, 95).toFixed(1)} ms`, 'under 50 ms');
} finally {
  await browser.close();
  await bridge.stop();
}
