// Starts smtp-bridge on a free loopback port and Debian's Chromium (playwright-core, no browser
// download), and fails a test on any console error or uncaught exception in any page of a
// browser it launched (one `afterEach`, here; a test that expects one says so with
// `browser.allowProblems(/…/)`).
import { spawn } from 'node:child_process';
import { after, afterEach, before } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with \`cargo xtask test\``);
  return value;
}

/**
 * Starts `smtp-bridge --listen 127.0.0.1:0` serving dist/ and resolves with its URL (and, in
 * mock mode, `smtp`: the address its mock SMTP server took).
 */
export async function startBridge(extraArgs = [], { listen = '127.0.0.1:0', dir = required('PLAYGROUND_DIST'), cwd = undefined } = {}) {
  // `dir: null` leaves --dir out: the bridge then serves the page it carries inside.
  const dirArgs = dir === null ? [] : ['--dir', dir];
  const child = spawn(required('SMTP_BRIDGE_BIN'), ['--listen', listen, ...dirArgs, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let smtp = null;
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`smtp-bridge did not start: ${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const mock = out.match(/mock SMTP server on (127\.0\.0\.1:\d+)/);
      if (mock) smtp = mock[1];
      // A server on every address (0.0.0.0) is reached at 127.0.0.1: tests talk only to loopback.
      const m = out.match(/at http:\/\/(?:127\.0\.0\.1|0\.0\.0\.0):(\d+)\//);
      if (m) { clearTimeout(timer); resolve(`http://127.0.0.1:${m[1]}/`); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`smtp-bridge exited (${code}): ${stderr}`)); });
  });
  return { url, smtp, stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); child.kill('SIGTERM'); }) };
}

/** Every browser `launchBrowser` started and not yet closed: `afterEach` reads their problems. */
const browsers = new Set();

afterEach(() => {
  for (const browser of browsers) {
    const problems = browser.takeProblems();
    assert.deepEqual(problems, [], 'a page logged a console error or threw during this test');
  }
});

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'smtp-playground-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: required('CHROMIUM_PATH'),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  let problems = [];
  let allowed = [];
  const watch = (page) => {
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${page.url()})`); });
    page.on('pageerror', (err) => problems.push(`uncaught: ${err.message} (${page.url()})`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const browser = {
    context,
    /** This test expects problems matching `pattern` (a dropped feed, an offline fetch). */
    allowProblems: (pattern) => { allowed.push(pattern); },
    /** The problems seen since the last call, less the allowed ones; clears both. */
    takeProblems: () => {
      const seen = problems.filter((p) => !allowed.some((pattern) => pattern.test(p)));
      problems = [];
      allowed = [];
      return seen;
    },
    close: async () => { browsers.delete(browser); await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
  browsers.add(browser);
  return browser;
}

/** A new page at `url` (for a page that shows no simulated session at first: mock mode). Its
 * console errors and uncaught exceptions fail the test in `afterEach`. */
export async function openWatching(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

/** As `openWatching`, once the simulated server's greeting is on the console. */
export async function openPage(context, url) {
  const page = await openWatching(context, url);
  await page.getByRole('log', { name: 'Session transcript' }).locator('.server pre').first().waitFor();
  return page;
}

export async function screenshot(page, name) {
  const dir = process.env.ARTIFACTS_DIR || 'artifacts';
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}

/** Types one line into the console and presses Enter, as a student would. */
export async function type(page, line) {
  const input = page.getByRole('textbox', { name: 'SMTP command' });
  await input.fill(line);
  await input.press('Enter');
}

/** The text of the transcript's last server reply line(s). */
export async function lastReply(page) {
  const replies = page.getByRole('log', { name: 'Session transcript' }).locator('.server pre');
  return await replies.last().innerText();
}

/**
 * Shows a tab as a user does (a click) and waits for its view: a tab's part of the page is
 * downloaded the first time the tab is shown, with "Loading…" meanwhile.
 */
export async function showTab(page, name) {
  const tab = page.getByRole('tab', { name });
  await tab.click();
  const panel = page.locator(`#${await tab.getAttribute('aria-controls')}`);
  await panel.locator(':scope > *').first().waitFor();
  await panel.locator('.part-loading').waitFor({ state: 'detached' });
}

/** Types a command and waits for the server's reply to it; returns the reply text. */
export async function exchange(page, line) {
  const replies = page.getByRole('log', { name: 'Session transcript' }).locator('.server pre');
  const before = await replies.count();
  await type(page, line);
  await page.waitForFunction((n) => document.querySelectorAll('.transcript .server pre').length > n, before);
  return (await lastReply(page)).trim();
}

/** A free loopback port (the listener is closed again before use). */
export async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts aiosmtpd (real SMTP software, from PyPI) on a free loopback port. */
export async function startAiosmtpd() {
  const python = required('SMTP_TEST_PYTHON');
  const port = await freePort();
  const child = spawn(python, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const net = await import('node:net');
  const deadline = Date.now() + 15000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`aiosmtpd did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, output: () => output, stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); child.kill('SIGTERM'); }) };
}

/**
 * Registers before/after hooks that start a bridge (with `bridgeArgs`) and a browser for a test
 * file, and returns them once started: `const lab = usePlayground(); ... lab.bridge.url`.
 */
export function usePlayground(bridgeArgs = () => []) {
  const lab = {};
  before(async () => {
    lab.bridge = await startBridge(bridgeArgs());
    lab.browser = await launchBrowser();
  });
  after(async () => {
    await lab.browser?.close();
    await lab.bridge?.stop();
  });
  return lab;
}

/** A page on a fresh simulated session (the default Postfix server). */
export async function freshPage(lab) {
  const page = await openPage(lab.browser.context, lab.bridge.url);
  await page.getByRole('button', { name: 'Reset session' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.transcript .server pre').length === 1);
  return page;
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** An axe-core audit of the page as it is: fails on any serious or critical violation. */
export async function audit(page, what) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const { violations } = await axe.run(document, { resultTypes: ['violations'] });
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(result, [], `${what}: accessibility violations`);
}

/** Runs a Python smtplib `program` (it reads host and port from argv) against `smtp`
 * (`host:port`, as `startBridge` reports it); resolves with its output. */
export function smtplib(smtp, program) {
  const [host, port] = smtp.split(':');
  return new Promise((resolve, reject) => {
    const child = spawn(required('SMTP_TEST_PYTHON'), ['-c', program, host, port], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`smtplib exited ${code}: ${out}`))));
  });
}
