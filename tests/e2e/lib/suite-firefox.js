'use strict';
// Firefox ESR: mock checks, then the extension + host checks. Firefox has no host-resolver
// rules: `network.dns.forceResolve` sends every name to 127.0.0.1, so the mock listens on 443.

const fs = require('node:fs');
const path = require('node:path');
const U = require('./util');
const { startMock } = require('./mock');
const { launchFirefox, firefoxPath } = require('./firefox');
const { mockChecks } = require('./mockchecks');
const { extChecks, extPrerequisites } = require('./extchecks');
const H = require('./host');

const ADDON_ID = 'swipy@swipy.app';
const ADDON_UUID = '5d1f7a2e-3c4b-4e6f-9a8b-7c6d5e4f3a21';
const verbose = () => Boolean(process.env.SWIPY_E2E_VERBOSE);

/**
 * The mock as Firefox reaches it: on port 443 (with `network.dns.forceResolve`), or, when 443 is
 * taken on this machine, through the mock's CONNECT proxy on a free port.
 */
async function mockForFirefox(args) {
  if (await U.portFree(443)) return startMock({ port: 443, args });
  console.log('note firefox: port 443 is taken on this machine; Firefox reaches the mock through its CONNECT proxy');
  return startMock({ port: 0, args: [...args, '--proxy-port', '0'] });
}

async function firefoxSuite(opts) {
  if (!firefoxPath()) {
    U.skip('firefox: browser present', 'firefox-esr is not installed (apt-get install -y firefox-esr)');
    return;
  }
  if (opts.only !== 'ext') {
    let mock;
    let driver;
    const ok = await U.check('firefox: starts headless with a WebDriver BiDi session', async () => {
      mock = await mockForFirefox(['--debug', '--seed', 'e2e-mock-firefox']);
      const home = U.tempDir('firefox-mock-home');
      const profileDir = U.tempDir('firefox-mock-profile');
      driver = await launchFirefox({ profileDir, extDir: null, env: { HOME: home }, proxyPort: mock.proxyPort, log: verbose() ? (l) => console.log(`  firefox| ${l}`) : undefined });
      U.onCleanup(() => driver.close());
    });
    if (ok) {
      await mockChecks(driver, mock, 'firefox');
      await driver.close();
      await mock.stop();
    }
  }
  if (opts.only === 'mock') return;

  const pre = extPrerequisites('firefox');
  if (pre.missing.length) {
    U.skip('firefox: extension + host checks', `missing ${pre.missing.join('; ')}`);
    return;
  }
  const dataDir = U.tempDir('firefox-data');
  const home = U.tempDir('firefox-home');
  const profileDir = U.tempDir('firefox-profile');
  const scratch = U.tempDir('firefox-scratch');
  const stderrFile = path.join(scratch, 'host-stderr.log');
  const downFlag = path.join(scratch, 'host-down');
  let mock;
  let setupOk = await U.check('firefox: swipy install --browser firefox writes the host manifest under $HOME', async () => {
    mock = await mockForFirefox(['--debug', '--seed', 'e2e-ext-firefox', '--match-every', '4']);
    const m = await H.installFirefox(dataDir, home);
    U.assert(m.name === 'com.swipy.host', `manifest name ${m.name}`);
    U.assert(Array.isArray(m.allowed_extensions) && m.allowed_extensions.includes(ADDON_ID), `allowed_extensions ${JSON.stringify(m.allowed_extensions)}`);
    U.assert(path.isAbsolute(m.path) && fs.existsSync(m.path), `host path ${m.path} does not exist`);
    U.assert(fs.realpathSync(m.path) === fs.realpathSync(H.swipyBin()), `manifest path ${m.path} is not ${H.swipyBin()}`);
    // Register a wrapper that keeps the host's stderr in a file (checked for the token later).
    const w = await H.installFirefox(dataDir, home, H.stderrWrapper(scratch, stderrFile, downFlag));
    U.assert(w.path.endsWith('swipy-host-wrapper.sh'), `--host-path not honoured: ${w.path}`);
  });
  if (!setupOk) return;
  const env = {
    HOME: home,
    SWIPY_HOME: dataDir,
    SWIPY_LOG: 'debug',
    SWIPY_TEST_RESOLVE: `images-ssl.gotinder.com=127.0.0.1:${mock.port},api.gotinder.com=127.0.0.1:${mock.port}`,
    SWIPY_TEST_CA: mock.ca,
  };
  let driver;
  setupOk = await U.check('firefox: add-on installed over WebDriver BiDi', async () => {
    driver = await launchFirefox({ profileDir, extDir: pre.firefoxDir, env, proxyPort: mock.proxyPort, addonId: ADDON_ID, addonUuid: ADDON_UUID, log: verbose() ? (l) => console.log(`  firefox| ${l}`) : undefined });
    U.onCleanup(() => driver && driver.close());
    U.assert(driver.extensionId === ADDON_ID, `installed add-on id ${driver.extensionId}, expected ${ADDON_ID}`);
    return driver.extensionId;
  });
  if (!setupOk) return;
  const ext = await extChecks({
    downFlag,
    // German page texts: nothing in the extension may depend on the page's language.
    lang: 'de',
    label: 'firefox', driver, mock, dataDir,
    // The host's data dir and the add-on's own storage (IndexedDB under moz-extension+++UUID).
    secretScanDirs: () => {
      const dirs = [dataDir];
      const storage = path.join(profileDir, 'storage', 'default');
      try {
        for (const d of fs.readdirSync(storage)) if (d.startsWith(`moz-extension+++${ADDON_UUID}`)) dirs.push(path.join(storage, d));
      } catch {
        // no storage folder at all: the assertion below says so
      }
      // The outbox wrote labels there during the session: a scan without it proves nothing.
      U.assert(dirs.length > 1, `the add-on's storage (${path.join(storage, `moz-extension+++${ADDON_UUID}…`)}) was not found, so the scan would not cover it`);
      return dirs;
    },
    controlDirs: () => [],
    hostStderr: () => (fs.existsSync(stderrFile) ? fs.readFileSync(stderrFile, 'utf8') : ''),
  });
  fs.writeFileSync(path.join(U.ensureArtifacts(), 'firefox-console.log'), driver.console.join('\n') + '\n');
  await driver.close();
  await ext.afterClose();
  await mock.stop();
}

module.exports = { firefoxSuite, mockForFirefox };
