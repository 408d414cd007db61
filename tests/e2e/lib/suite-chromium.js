'use strict';
// Chromium: mock checks, then the extension + host checks.

const fs = require('node:fs');
const path = require('node:path');
const U = require('./util');
const { startMock } = require('./mock');
const { launchChromium, chromiumPath } = require('./chromium');
const { mockChecks } = require('./mockchecks');
const { extChecks, extPrerequisites, waitLabels, overlayAttrs } = require('./extchecks');
const P = require('./page');
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
            profilesToday: t('profiles-today').trim(), labelsToday: t('labels-today').trim(), version: t('version').trim(),
            counts: ((document.getElementById('counts') || {}).innerText || '').replace(/\s+/g, ' ').trim(),
          };
        });
      } finally {
        await page.close().catch(() => {});
      }
    },
    // The dashboard's version and profile counts, read like a user would.
    dashboard: async () => {
      const page = await driver.context.newPage();
      try {
        await page.goto(`chrome-extension://${extId}/dashboard.html`, { waitUntil: 'load', timeout: 15000 });
        await page.waitForFunction(() => document.getElementById('dash-profiles-total').textContent.trim() !== '–', null, { timeout: 10000 }).catch(() => {});
        return await page.evaluate(() => {
          const t = (id) => ((document.getElementById(id) || {}).textContent || '').trim();
          return {
            version: t('dash-version'), profilesToday: t('dash-profiles-today'), profilesTotal: t('dash-profiles-total'),
            labelsToday: t('dash-labels-today'), labelsTotal: t('dash-labels-total'),
            counts: ((document.getElementById('dash-counts') || {}).innerText || '').replace(/\s+/g, ' ').trim(),
          };
        });
      } finally {
        await page.close().catch(() => {});
      }
    },
    // Stop the service worker like Chromium's idle stop (CDP Target.closeTarget), wait for it to
    // come back (content.js reconnects).
    stopWorker: async () => {
      const cdp = await driver.context.newCDPSession(driver.page);
      try {
        const sw = async () => (await cdp.send('Target.getTargets')).targetInfos
          .find((t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extId}/`));
        const before = await sw();
        U.assert(before, 'no running service worker to stop');
        await cdp.send('Target.closeTarget', { targetId: before.targetId });
        // (Chromium may give the restarted worker the same target id: wait for gone, then back.)
        await U.waitFor(async () => !(await sw()), { timeout: 5000, interval: 50, what: 'the service worker to stop' });
        const t0 = Date.now();
        await U.waitFor(() => sw(), { timeout: 20000, what: 'the service worker to start again (content.js reconnects)' });
        return `worker stopped and started again after ${U.fmtMs(Date.now() - t0)}`;
      } finally {
        await cdp.detach().catch(() => {});
      }
    },
    workerOutbox: async () => {
      const w = driver.extensionWorker(extId);
      U.assert(w, 'no service worker');
      return w.evaluate(() => globalThis.swipy.outbox());
    },
    // The worker's debug state (never contains the token, only whether it is known).
    workerState: async () => {
      const w = driver.extensionWorker(extId);
      return w ? w.evaluate(() => globalThis.swipy.state()) : null;
    },
  });
  const consoleLog = path.join(U.ensureArtifacts(), 'chromium-console.log');
  fs.writeFileSync(consoleLog, driver.console.join('\n') + '\n');

  await U.check('chromium: browser restarted while a label waits: the stored outbox is replayed at start', async () => {
    const pids = H.hostPids(dataDir);
    fs.writeFileSync(downFlag, 'down\n');
    try {
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      await U.waitFor(() => pids.every((p) => !H.alive(p)), { timeout: 5000, what: `host ${pids} to die` });
      if (await P.dialog(driver)) await P.closeDialog(driver);
      const top = await P.waitTopCard(driver);
      await P.clickSelector(driver, '[data-swipy="label-nope"]', { timeout: 20000, what: 'the overlay nope button' });
      await U.waitFor(async () => {
        const o = await overlayAttrs(driver);
        return o && o.state === 'pending' && o.label === 'nope';
      }, { timeout: 10000, what: 'the overlay to show the label pending' });
      await driver.close();
      const before = H.labelOf((await H.exportRows(dataDir)).get(top.id));
      U.assert(!(before && before.verdict === 'nope' && before.source === 'overlay'), 'the label reached the store before the restart; the check would prove nothing');
      fs.rmSync(downFlag, { force: true });
      // Same profile, no page opened: the extension starts with the browser and replays.
      driver = await launchChromium({ profileDir, extDir: pre.chromeDir, mockPort: mock.port, env, log: verbose() ? (l) => console.log(`  chromium| ${l}`) : undefined });
      U.onCleanup(() => driver && driver.close());
      const t0 = Date.now();
      await waitLabels(dataDir, [{ id: top.id, verdict: 'nope', source: 'overlay' }], 60000, 'the label made before the browser closed');
      return `delivered ${U.fmtMs(Date.now() - t0)} after the restart`;
    } finally {
      fs.rmSync(downFlag, { force: true });
    }
  });
  fs.appendFileSync(consoleLog, driver.console.join('\n') + '\n');
  await driver.close();
  await ext.afterClose();
  await mock.stop();
}

module.exports = { chromiumSuite };
