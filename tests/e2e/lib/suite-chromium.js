'use strict';
// Chromium: mock checks, then the extension + host checks.

const fs = require('node:fs');
const path = require('node:path');
const U = require('./util');
const { startMock } = require('./mock');
const { launchChromium, chromiumPath } = require('./chromium');
const { mockChecks } = require('./mockchecks');
const { extChecks, extPrerequisites } = require('./extchecks');
const H = require('./host');

const verbose = () => Boolean(process.env.SWIPY_E2E_VERBOSE);

async function chromiumSuite(opts) {
  if (!chromiumPath()) {
    U.skip('chromium: browser present', 'chromium is not installed (apt-get install -y chromium)');
    return;
  }
  if (opts.only !== 'ext') {
    const mock = await startMock({ args: ['--debug', '--seed', 'e2e-mock-chromium'] });
    const profileDir = U.tempDir('chromium-mock');
    const driver = await launchChromium({ profileDir, extDir: null, mockPort: mock.port, log: verbose() ? (l) => console.log(`  chromium| ${l}`) : undefined });
    U.onCleanup(() => driver.close());
    await mockChecks(driver, mock, 'chromium');
    await driver.close();
    await mock.stop();
  }
  if (opts.only === 'mock') return;

  const pre = extPrerequisites('chrome');
  if (pre.missing.length) {
    U.skip('chromium: extension + host checks', `missing ${pre.missing.join('; ')}`);
    return;
  }
  const extId = pre.chromeId;
  const dataDir = U.tempDir('chromium-data');
  const profileDir = U.tempDir('chromium-profile');
  const scratch = U.tempDir('chromium-scratch');
  const stderrFile = path.join(scratch, 'host-stderr.log');
  const downFlag = path.join(scratch, 'host-down');
  const mock = await startMock({ args: ['--debug', '--seed', 'e2e-ext-chromium', '--match-every', '4'] });
  let setupOk = await U.check('chromium: swipy install registers the host in the profile', async () => {
    const m = await H.installChromium(dataDir, profileDir, extId);
    U.assert(m.name === 'com.swipy.host', `manifest name ${m.name}`);
    U.assert(Array.isArray(m.allowed_origins) && m.allowed_origins.includes(`chrome-extension://${extId}/`), `allowed_origins ${JSON.stringify(m.allowed_origins)}`);
    U.assert(path.isAbsolute(m.path) && fs.existsSync(m.path), `host path ${m.path} does not exist`);
    U.assert(fs.realpathSync(m.path) === fs.realpathSync(H.swipyBin()), `manifest path ${m.path} is not ${H.swipyBin()}`);
    // Register a wrapper that keeps the host's stderr in a file (checked for the token later).
    const w = await H.installChromium(dataDir, profileDir, extId, H.stderrWrapper(scratch, stderrFile, downFlag));
    U.assert(w.path.endsWith('swipy-host-wrapper.sh'), `--host-path not honoured: ${w.path}`);
  });
  if (!setupOk) return;
  const env = {
    SWIPY_HOME: dataDir,
    SWIPY_LOG: 'debug',
    SWIPY_TEST_RESOLVE: `images-ssl.gotinder.com=127.0.0.1:${mock.port},api.gotinder.com=127.0.0.1:${mock.port}`,
    SWIPY_TEST_CA: mock.ca,
  };
  let driver;
  setupOk = await U.check('chromium: launches with the extension loaded (service worker running)', async () => {
    driver = await launchChromium({ profileDir, extDir: pre.chromeDir, mockPort: mock.port, env, log: verbose() ? (l) => console.log(`  chromium| ${l}`) : undefined });
    U.onCleanup(() => driver && driver.close());
    const worker = await U.waitFor(() => driver.extensionWorker(extId), { timeout: 20000, what: `the service worker of chrome-extension://${extId}/` });
    return worker.url();
  });
  if (!setupOk) return;
  const ext = await extChecks({
    downFlag,
    label: 'chromium', driver, mock, dataDir,
    // Files that must never contain the token: the host's data dir (db, photos, logs) and the
    // extension's own storage in the profile.
    secretScanDirs: () => [dataDir, path.join(profileDir, 'Default', 'Local Extension Settings', extId), path.join(profileDir, 'Default', 'IndexedDB')]
      .filter((d) => fs.existsSync(d)),
    // The page's own localStorage keeps the token: the scanner must find it there (control).
    controlDirs: () => [path.join(profileDir, 'Default', 'Local Storage')],
    hostStderr: () => (fs.existsSync(stderrFile) ? fs.readFileSync(stderrFile, 'utf8') : ''),
    // The popup page, read like a user would (element ids from extension/README.md).
    popup: async () => {
      const page = await driver.context.newPage();
      try {
        await page.goto(`chrome-extension://${extId}/popup.html`, { waitUntil: 'load', timeout: 15000 });
        await page.waitForFunction(() => document.getElementById('profiles-total').textContent.trim() !== '–', null, { timeout: 10000 }).catch(() => {});
        return await page.evaluate(() => {
          const t = (id) => (document.getElementById(id) || {}).textContent || '';
          return {
            conn: (document.getElementById('conn') || { dataset: {} }).dataset.state, profilesTotal: t('profiles-total').trim(),
            labelsTotal: t('labels-total').trim(), balance: t('balance').trim(),
          };
        });
      } finally {
        await page.close().catch(() => {});
      }
    },
    // The worker's debug state (never contains the token, only whether it is known).
    workerState: async () => {
      const w = driver.extensionWorker(extId);
      return w ? w.evaluate(() => globalThis.swipy.state()) : null;
    },
  });
  fs.writeFileSync(path.join(U.ensureArtifacts(), 'chromium-console.log'), driver.console.join('\n') + '\n');
  await driver.close();
  await ext.afterClose();
  await mock.stop();
}

module.exports = { chromiumSuite };
