'use strict';
// Chromium driver: Debian's chromium through playwright-core (no browser download), with the
// extension loaded unpacked and the page's three hosts mapped to the mock on loopback.

const fs = require('node:fs');
const { withTimeout, CheckError, which } = require('./util');

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function chromiumPath() {
  if (process.env.SWIPY_CHROMIUM) return process.env.SWIPY_CHROMIUM;
  for (const p of CHROMIUM_CANDIDATES) if (fs.existsSync(p)) return p;
  return which('chromium') || which('chromium-browser');
}

/**
 * Launches Chromium with a persistent profile. `extDir` may be null (mock-only checks).
 * Returns a driver: {name, page, context, goto, eval, click, press, screenshot, log, close}.
 */
async function launchChromium({ profileDir, extDir, mockPort, env = {}, log = () => {} }) {
  let playwright;
  try {
    playwright = require('playwright-core');
  } catch (e) {
    throw new CheckError(`playwright-core is not installed (run \`npm ci\` in tests/): ${e.message}`);
  }
  const exe = chromiumPath();
  if (!exe) throw new CheckError('chromium is not installed (apt-get install -y chromium)');
  const map = ['tinder.com', 'api.gotinder.com', 'images-ssl.gotinder.com'].map((h) => `MAP ${h} 127.0.0.1:${mockPort}`).join(', ');
  const args = [
    `--host-resolver-rules=${map}, EXCLUDE localhost`,
    '--ignore-certificate-errors', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--no-default-browser-check', '--disable-dev-shm-usage',
  ];
  if (extDir) args.unshift(`--disable-extensions-except=${extDir}`, `--load-extension=${extDir}`);
  const browserLog = [];
  const context = await withTimeout(playwright.chromium.launchPersistentContext(profileDir, {
    executablePath: exe,
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: { width: 1100, height: 820 },
    env: { ...process.env, ...env },
    args,
    logger: {
      isEnabled: (name) => name === 'browser',
      log: (name, severity, message) => {
        const line = String(message);
        browserLog.push(line);
        if (browserLog.length > 20000) browserLog.splice(0, 10000);
        log(line);
      },
    },
  }), 60000, `launching ${exe}`);
  const page = context.pages()[0] || (await context.newPage());
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  // The extension's service worker logs too (saved as an artifact by the suite).
  const watchWorker = (w) => {
    if (!w.url().startsWith('chrome-extension://')) return;
    w.on('console', (m) => consoleLines.push(`[worker ${m.type()}] ${m.text()}`));
  };
  context.serviceWorkers().forEach(watchWorker);
  context.on('serviceworker', watchWorker);

  const driver = {
    name: 'chromium',
    context,
    page,
    console: consoleLines,
    browserLog,
    async goto(url) {
      await page.goto(url, { waitUntil: 'load', timeout: 30000 });
    },
    /** Runs `fn(arg)` in the page; `fn` must be self-contained; returns its JSON-able result. */
    async eval(fn, arg) {
      const src = `(async (argJson) => JSON.stringify(await (${fn.toString()})(JSON.parse(argJson))))`;
      // eslint-disable-next-line no-new-func
      const json = await page.evaluate(`${src}(${JSON.stringify(JSON.stringify(arg === undefined ? null : arg))})`);
      return json === undefined ? undefined : JSON.parse(json);
    },
    async click(x, y) {
      await page.mouse.click(x, y);
    },
    async press(key) {
      await page.keyboard.press(key);
    },
    async screenshot(file) {
      await page.screenshot({ path: file });
    },
    async reload() {
      await page.reload({ waitUntil: 'load', timeout: 30000 });
    },
    /** The extension's service worker, when one is running. */
    extensionWorker(extId) {
      return context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${extId}/`)) || null;
    },
    async close() {
      await withTimeout(context.close(), 20000, 'closing chromium').catch(() => {});
    },
  };
  return driver;
}

module.exports = { launchChromium, chromiumPath };
