#!/usr/bin/env node
'use strict';
// Fault injection in a real browser (Chromium): N page swipes (default 1,000) stream through the
// extension's durable outbox while the host is SIGKILLed, kept down for a while, and the service
// worker is stopped (CDP Target.closeTarget, like Chromium's idle stop), at random points.
// Afterwards the store holds exactly the N labels (no loss, no duplicate rows, right verdicts),
// `PRAGMA integrity_check` is ok, the outbox is empty, and the mock's token is in no file of
// the data dir (database, photos, logs), none of the extension's storage in the profile, and
// not in the host's stderr.
//
// Then, in each selected browser (Chromium and Firefox), a crash loop: a host that exits on
// every `label`/`swipe_seen` frame for its first 4 starts (the host's test switch
// SWIPY_TEST_CRASH_ON) and then works; every swipe made meanwhile is in the store afterwards
// (none dropped by a guess), and the popup, open beside the page, says which labels wait and
// sends them with its Retry button once the host works. In the same page, messages a page script forges with
// window.postMessage (a swipe, a recs page, a token, in the shape the hook once used) reach
// nothing: no label, no profile.
//
//   node tests/e2e/fault.js [--labels N] [--seed S] [--browser chromium|firefox|all] [--keep] [--verbose]
//   node tests/e2e/run.js --only fault           (the same checks inside the E2E run)
//
// Needs what run.js needs for Chromium (chromium, the built extension, target/debug/swipy,
// node modules) and python3 (its sqlite3 module reads the store). Under CI=true a missing
// prerequisite is a failure.

const fs = require('node:fs');
const path = require('node:path');
const U = require('./lib/util');
const { startMock } = require('./lib/mock');
const { launchChromium, chromiumPath } = require('./lib/chromium');
const { launchFirefox, firefoxPath } = require('./lib/firefox');
const { extPrerequisites, waitLabels } = require('./lib/extchecks');
const { openPopup } = require('./lib/extpage');
const P = require('./lib/page');
const H = require('./lib/host');

const APP = 'https://tinder.com/';

/** A small seeded PRNG (mulberry32), so a failing run can be repeated with --seed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Label rows, distinct keys and profiles, and the integrity check of the store. */
async function storeFacts(dataDir) {
  const script = [
    'import sqlite3, sys, json',
    'c = sqlite3.connect(sys.argv[1])',
    'n, keys, ids = c.execute("SELECT count(*), count(DISTINCT key), count(DISTINCT profile_id) FROM labels").fetchone()',
    'rows = c.execute("SELECT profile_id, verdict, source FROM labels ORDER BY id").fetchall()',
    'ok = c.execute("PRAGMA integrity_check").fetchone()[0]',
    'print(json.dumps({"rows": n, "keys": keys, "ids": ids, "labels": rows, "integrity": ok}))',
  ].join('\n');
  const { stdout } = await U.run('python3', ['-c', script, path.join(dataDir, 'swipy.db')], { timeout: 30000 });
  return JSON.parse(stdout);
}

/** Files of the Chromium profile that belong to the extension (its storage and state). */
function extensionStorageDirs(profileDir, extId) {
  const d = path.join(profileDir, 'Default');
  const dirs = [
    path.join(d, 'Local Extension Settings', extId),
    path.join(d, 'Sync Extension Settings', extId),
    path.join(d, 'Managed Extension Settings', extId),
    path.join(d, 'Extension State'),
    path.join(d, 'Extension Rules'),
    path.join(d, 'Extension Scripts'),
    path.join(d, 'IndexedDB'),
    path.join(d, 'Service Worker'),
    path.join(d, 'File System'),
  ];
  return dirs.filter((x) => fs.existsSync(x));
}

async function stopWorker(driver, extId) {
  const cdp = await driver.context.newCDPSession(driver.page);
  try {
    const targets = (await cdp.send('Target.getTargets')).targetInfos;
    const sw = targets.find((t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extId}/`));
    if (!sw) return false;
    await cdp.send('Target.closeTarget', { targetId: sw.targetId });
    return true;
  } finally {
    await cdp.detach().catch(() => {});
  }
}

function killHost(dataDir) {
  const pids = H.hostPids(dataDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids.length;
}

async function faultSuite(opts = {}) {
  const browsers = opts.browsers || ['chromium'];
  if (browsers.includes('chromium')) await killSuite(opts);
  else U.skip('fault: chromium kill checks', 'they drive Chromium (CDP); not selected');
  for (const b of browsers) {
    await crashLoopSuite(b);
    await U.runCleanups();
  }
}

/** Rows of the store for these profile ids: labels and profiles. */
async function rowsFor(dataDir, ids) {
  const script = [
    'import sqlite3, sys, json',
    'c = sqlite3.connect(sys.argv[1])',
    'ids = json.loads(sys.argv[2])',
    'q = ",".join("?" * len(ids))',
    'labels = c.execute("SELECT profile_id, verdict, source FROM labels WHERE profile_id IN (%s)" % q, ids).fetchall()',
    'profiles = c.execute("SELECT id FROM profiles WHERE id IN (%s)" % q, ids).fetchall()',
    'print(json.dumps({"labels": labels, "profiles": profiles}))',
  ].join('\n');
  const { stdout } = await U.run('python3', ['-c', script, path.join(dataDir, 'swipy.db'), JSON.stringify(ids)], { timeout: 30000 });
  return JSON.parse(stdout);
}

const CRASHES = 4;
const CRASH_SWIPES = 12;
const FORGED_SWIPE = 'f0f0f0f0f0f0f0f0f0f0f0f0';
const FORGED_RECS = 'f1f1f1f1f1f1f1f1f1f1f1f1';

/**
 * A host that dies on every label frame for its first CRASHES starts, then works: every
 * swipe made meanwhile ends up in the store. Plus forged window messages change nothing.
 */
async function crashLoopSuite(browser) {
  const name = `fault ${browser}`;
  const isChromium = browser === 'chromium';
  if (isChromium ? !chromiumPath() : !firefoxPath()) {
    U.skip(`${name}: crash loop`, `${isChromium ? 'chromium' : 'firefox-esr'} is not installed`);
    return;
  }
  const pre = extPrerequisites(isChromium ? 'chrome' : 'firefox');
  if (!U.which('python3')) pre.missing.push('python3 (reads the store with its sqlite3 module)');
  if (pre.missing.length) {
    U.skip(`${name}: crash loop`, `missing ${pre.missing.join('; ')}`);
    return;
  }
  const dataDir = U.tempDir(`crash-${browser}-data`);
  const profileDir = U.tempDir(`crash-${browser}-profile`);
  const home = U.tempDir(`crash-${browser}-home`);
  const scratch = U.tempDir(`crash-${browser}-scratch`);
  const stderrFile = path.join(scratch, 'host-stderr.log');
  const wrapper = H.stderrWrapper(scratch, stderrFile, path.join(scratch, 'host-down'));
  const mockArgs = ['--debug', '--seed', `e2e-crash-${browser}`, '--match-every', '0', '--likes-limit', '100000'];
  const mock = isChromium ? await startMock({ args: mockArgs }) : await require('./lib/suite-firefox').mockForFirefox(mockArgs);
  const ok = await U.check(`${name}: swipy install registers the host`, async () => {
    if (isChromium) await H.installChromium(dataDir, profileDir, pre.chromeId, wrapper);
    else await H.installFirefox(dataDir, home, wrapper);
  });
  if (!ok) return;
  const env = {
    HOME: home,
    SWIPY_HOME: dataDir,
    SWIPY_LOG: 'debug',
    SWIPY_TEST_CRASH_ON: `label,swipe_seen:${CRASHES}`,
    SWIPY_TEST_RESOLVE: `images-ssl.gotinder.com=127.0.0.1:${mock.port},api.gotinder.com=127.0.0.1:${mock.port}`,
    SWIPY_TEST_CA: mock.ca,
  };
  if (isChromium) delete env.HOME;
  const log = process.env.SWIPY_E2E_VERBOSE ? (l) => console.log(`  ${browser}| ${l}`) : undefined;
  const driver = isChromium
    ? await launchChromium({ profileDir, extDir: pre.chromeDir, mockPort: mock.port, env, log })
    : await launchFirefox({ profileDir, extDir: pre.firefoxDir, env, proxyPort: mock.proxyPort, addonId: 'swipy@swipy.app', addonUuid: '5d1f7a2e-3c4b-4e6f-9a8b-7c6d5e4f3a21', log });
  U.onCleanup(() => driver.close());

  const expected = [];
  const crashFile = path.join(dataDir, 'test-crashes');
  const crashes = () => (fs.existsSync(crashFile) ? Number(fs.readFileSync(crashFile, 'utf8').trim()) || 0 : 0);
  // The popup, open in a tab the whole time, as a user would keep it: what it says while the
  // host keeps dying, and its Retry button once the host works again.
  let popup = null;
  const watch = { seen: null, retried: false, done: false, error: null, polls: 0 };
  let watcher = Promise.resolve();
  await U.check(`${name}: the popup opens beside tinder.com`, async () => {
    popup = await openPopup(driver, browser, pre.chromeId);
  });
  const popupQuarantine = () => popup.eval(() => {
    const q = document.getElementById('quarantine');
    return q && !q.hidden ? document.getElementById('quarantine-text').textContent : null;
  });
  if (popup) {
    watcher = (async () => {
      while (!watch.done) {
        try {
          const text = await popupQuarantine();
          watch.polls++;
          if (text && !watch.seen) watch.seen = text;
          // Retry once the host works again (it died CRASHES times), as the popup asks.
          if (text && !watch.retried && crashes() >= CRASHES) {
            await popup.eval(() => document.getElementById('retry-waiting').click());
            watch.retried = true;
          }
        } catch (e) {
          watch.error = e.message;
        }
        await U.sleep(200);
      }
    })();
  }
  await U.check(`${name}: ${CRASH_SWIPES} page swipes while the host dies on every label for its first ${CRASHES} starts`, async () => {
    await driver.goto(`${APP}?autologin=1&lang=en`);
    await P.waitTopCard(driver, { timeout: 30000 });
    // A page script forges what the hook once posted: a swipe, a recs page, a token.
    await driver.eval(({ swipe, recs }) => {
      const at = Date.now();
      const forged = [
        { __swipy: 1, kind: 'swipe', profile_id: swipe, verdict: 'like', at_ms: at, status: 200, response: { status: 200, match: false } },
        { __swipy: 1, kind: 'recs', at_ms: at, body: { meta: { status: 200 }, data: { results: [{ type: 'user', user: { _id: recs, name: 'Forged', birth_date: '1990-01-01T00:00:00Z', photos: [] } }] } } },
        { __swipy: 1, kind: 'token', token: 'forged-token-0123456789' },
      ];
      for (const m of forged) window.postMessage(m, location.origin);
      return true;
    }, { swipe: FORGED_SWIPE, recs: FORGED_RECS });
    for (let i = 0; i < CRASH_SWIPES; i++) {
      if (await P.dialog(driver)) await P.closeDialog(driver);
      const like = i % 3 !== 0;
      const s = await P.swipeTop(driver, mock, like ? 'key:ArrowRight' : 'key:ArrowLeft');
      U.assert(s.applied, `the page's swipe ${i} was not applied: ${JSON.stringify(s.call)}`);
      expected.push({ id: s.id, verdict: like ? 'like' : 'nope', source: 'swipe' });
      // Spread the swipes over the crash loop.
      await U.sleep(400);
    }
    return `${expected.length} swipes`;
  });

  await U.check(`${name}: the host died ${CRASHES} times on labels, then every swipe made meanwhile is in the store`, async () => {
    U.assert(expected.length === CRASH_SWIPES, `only ${expected.length} of ${CRASH_SWIPES} swipes were made`);
    const t0 = Date.now();
    await waitLabels(dataDir, expected, 150000, 'every swipe as a label');
    const crashed = crashes();
    U.assert(crashed === CRASHES, `the host exited ${crashed} times on a label frame, expected ${CRASHES} (the test switch did not fire)`);
    const f = await storeFacts(dataDir);
    U.assert(f.rows === CRASH_SWIPES && f.keys === CRASH_SWIPES, `label rows ${f.rows}, keys ${f.keys}; want ${CRASH_SWIPES} of each`);
    return `all ${CRASH_SWIPES} stored ${U.fmtMs(Date.now() - t0)} after the last swipe, after ${crashed} host deaths`;
  });

  await U.check(`${name}: the popup said which labels wait after the host's deaths, its Retry sent them, and it is clear afterwards`, async () => {
    U.assert(popup, 'the popup did not open');
    // Every swipe is stored by now (the check above): the quarantine must clear.
    let last = null;
    await U.waitFor(async () => {
      last = await popupQuarantine();
      return last === null;
    }, { timeout: 20000, interval: 250, what: () => `the popup's waiting line to clear (it says "${last}")` });
    watch.done = true;
    await watcher;
    U.assert(watch.polls > 0, `the popup was never read: ${watch.error}`);
    U.assert(watch.seen && /wait/.test(watch.seen) && /stopped while saving/.test(watch.seen), `the popup never said that labels wait after the app stopped (last error: ${watch.error}); it said ${JSON.stringify(watch.seen)}`);
    U.assert(watch.retried, 'the waiting line was gone before the host worked again, so Retry was never pressed');
    return `"${watch.seen}" — Retry pressed once the host worked; clear afterwards (${watch.polls} reads)`;
  });
  watch.done = true;
  await watcher;

  await U.check(`${name}: forged window messages (swipe, recs, token) reach nothing`, async () => {
    const r = await rowsFor(dataDir, [FORGED_SWIPE, FORGED_RECS]);
    U.assert(r.labels.length === 0, `a forged swipe became a label: ${JSON.stringify(r.labels)}`);
    U.assert(r.profiles.length === 0, `a forged recs page became a profile: ${JSON.stringify(r.profiles)}`);
    // Control: real captures did arrive through the private channel.
    const real = await rowsFor(dataDir, expected.map((e) => e.id));
    U.assert(real.profiles.length === expected.length, `only ${real.profiles.length} of ${expected.length} swiped profiles were captured`);
    return 'no label, no profile';
  });

  await U.check(`${name}: the page sees its own fetch and XMLHttpRequest (name, length, toString, prototype chain) and no Swipy global`, async () => {
    const seen = await driver.eval(() => {
      const native = (f) => /^function [A-Za-z]*\(\) \{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(f));
      const X = XMLHttpRequest.prototype;
      return {
        fetch: [fetch.name, fetch.length, native(fetch), String(fetch) === Function.prototype.toString.call(fetch), Object.getPrototypeOf(fetch) === Function.prototype, 'prototype' in fetch, Object.getOwnPropertyNames(fetch).sort().join(',')],
        open: [X.open.name, X.open.length, native(X.open)],
        setRequestHeader: [X.setRequestHeader.name, X.setRequestHeader.length, native(X.setRequestHeader)],
        send: [X.send.name, X.send.length, native(X.send)],
        toString: [Function.prototype.toString.name, native(Function.prototype.toString), native(Function.prototype.toString.toString)],
        globals: Object.getOwnPropertyNames(window).filter((k) => /swipy/i.test(k)),
      };
    });
    const want = {
      fetch: ['fetch', 1, true, true, true, false, 'length,name'],
      open: ['open', 2, true],
      setRequestHeader: ['setRequestHeader', 2, true],
      send: ['send', 0, true],
      toString: ['toString', true, true],
      globals: [],
    };
    U.assert(JSON.stringify(seen) === JSON.stringify(want), `the page can tell: ${JSON.stringify(seen)}; a native page sees ${JSON.stringify(want)}`);
    return 'indistinguishable';
  });

  await U.check(`${name}: after a trap inside the worker's WebAssembly, the next swipes are still saved`, async () => {
    let trap;
    if (isChromium) {
      const w = await U.waitFor(() => driver.extensionWorker(pre.chromeId), { timeout: 20000, what: 'the service worker' });
      trap = await w.evaluate(() => globalThis.swipy.trap());
    } else {
      // Firefox runs the background as an event page: the popup reaches it.
      U.assert(popup, 'the popup did not open');
      trap = await popup.eval(async () => String((await browser.runtime.getBackgroundPage()).swipy.trap()));
    }
    U.assert(trap !== 'no trap', 'the test trap did not trap');
    const after = [];
    for (let i = 0; i < 3; i++) {
      if (await P.dialog(driver)) await P.closeDialog(driver);
      const s = await P.swipeTop(driver, mock, 'key:ArrowLeft');
      after.push({ id: s.id, verdict: 'nope', source: 'swipe' });
      await U.sleep(300);
    }
    await waitLabels(dataDir, after, 60000, 'the swipes after the trap');
    return `trap: ${String(trap).slice(0, 80)}`;
  });

  if (isChromium) {
    await U.check(`${name}: the content script's world gets no popup powers (auto-swipe switch, presets, debug state)`, async () => {
      const w = await U.waitFor(() => driver.extensionWorker(pre.chromeId), { timeout: 20000, what: 'the service worker' });
      const before = await w.evaluate(() => globalThis.swipy.autoswipe({ kind: 'autoswipe_state' }));
      const cdp = await driver.context.newCDPSession(driver.page);
      try {
        const contexts = [];
        cdp.on('Runtime.executionContextCreated', (e) => contexts.push(e.context));
        await cdp.send('Runtime.enable');
        const iso = await U.waitFor(() => contexts.find((c) => c.name === 'Swipy' && c.auxData && c.auxData.type === 'isolated'), { timeout: 5000, what: "the content script's isolated world" });
        // Everything a compromised or confused content script could try.
        const expression = `new Promise((resolve) => {
          const out = { popupPortClosed: false, dashboardPortClosed: false };
          for (const name of ['popup', 'dashboard']) {
            const p = chrome.runtime.connect({ name });
            p.onDisconnect.addListener(() => { out[name + 'PortClosed'] = true; });
            p.postMessage({ kind: 'autoswipe_enable', on: true });
            p.postMessage({ kind: 'autoswipe_preset', preset: 'fast_test' });
            p.postMessage({ kind: 'host', req: 1, type: 'settings_set', data: { values: { retrain_every: 1 } } });
          }
          chrome.runtime.sendMessage({ kind: 'autoswipe_preset', preset: 'fast_test' }, (a) => {
            out.presetAnswer = a === undefined ? null : a;
            void chrome.runtime.lastError;
            chrome.runtime.sendMessage({ kind: 'debug_state' }, (d) => {
              out.debugAnswer = d === undefined ? null : d;
              void chrome.runtime.lastError;
              setTimeout(() => resolve(JSON.stringify(out)), 1500);
            });
          });
        })`;
        const r = await cdp.send('Runtime.evaluate', { expression, contextId: iso.id, awaitPromise: true, returnByValue: true });
        U.assert(!r.exceptionDetails, `the probe failed: ${String(JSON.stringify(r.exceptionDetails)).slice(0, 300)}`);
        const out = JSON.parse(r.result.value);
        U.assert(out.popupPortClosed && out.dashboardPortClosed, `a tab's content script kept a popup/dashboard port: ${JSON.stringify(out)}`);
        U.assert(out.presetAnswer === null && out.debugAnswer === null, `a content script got an answer to a popup request: ${JSON.stringify(out).slice(0, 300)}`);
        const after = await w.evaluate(() => globalThis.swipy.autoswipe({ kind: 'autoswipe_state' }));
        U.assert(JSON.stringify(after.settings) === JSON.stringify(before.settings) && after.enabled === before.enabled,
          `auto-swipe settings changed from a content script: ${JSON.stringify(before.settings)} → ${JSON.stringify(after.settings)}`);
        return 'ports closed, requests unanswered, settings unchanged';
      } finally {
        await cdp.detach().catch(() => {});
      }
    });
  }
  await driver.close();
  await mock.stop();
}

/** The 1,000-swipe run with SIGKILLs, host-down windows and worker stops (Chromium). */
async function killSuite(opts) {
  const N = Number(opts.labels || process.env.SWIPY_FAULT_LABELS || 1000);
  const seed = Number(opts.seed || process.env.SWIPY_FAULT_SEED || Math.floor(Math.random() * 2 ** 31));
  if (!chromiumPath()) {
    U.skip('fault: chromium present', 'chromium is not installed (apt-get install -y chromium)');
    return;
  }
  const pre = extPrerequisites('chrome');
  if (!U.which('python3')) pre.missing.push('python3 (reads the store with its sqlite3 module)');
  if (pre.missing.length) {
    U.skip('fault: extension + host fault checks', `missing ${pre.missing.join('; ')}`);
    return;
  }
  const extId = pre.chromeId;
  const dataDir = U.tempDir('fault-data');
  const profileDir = U.tempDir('fault-profile');
  const scratch = U.tempDir('fault-scratch');
  const stderrFile = path.join(scratch, 'host-stderr.log');
  const downFlag = path.join(scratch, 'host-down');
  const mock = await startMock({ args: ['--debug', '--seed', `e2e-fault-${seed}`, '--match-every', '0', '--likes-limit', '100000', '--page-size', '20'] });
  const ok = await U.check('fault: swipy install registers the host (stderr wrapper)', async () => {
    await H.installChromium(dataDir, profileDir, extId, H.stderrWrapper(scratch, stderrFile, downFlag));
  });
  if (!ok) return;
  const env = {
    SWIPY_HOME: dataDir,
    SWIPY_LOG: 'debug',
    SWIPY_TEST_RESOLVE: `images-ssl.gotinder.com=127.0.0.1:${mock.port},api.gotinder.com=127.0.0.1:${mock.port}`,
    SWIPY_TEST_CA: mock.ca,
  };
  const verbose = Boolean(process.env.SWIPY_E2E_VERBOSE);
  const driver = await launchChromium({ profileDir, extDir: pre.chromeDir, mockPort: mock.port, env, log: verbose ? (l) => console.log(`  chromium| ${l}`) : undefined });
  U.onCleanup(() => driver.close());

  const expected = [];
  const faults = { kills: 0, workerStops: 0, downWindows: 0 };
  await U.check(`fault: ${N} page swipes while the host is SIGKILLed, kept down and the worker stopped (seed ${seed})`, async () => {
    const random = rng(seed);
    await U.waitFor(() => driver.extensionWorker(extId), { timeout: 20000, what: 'the service worker' });
    await driver.goto(`${APP}?autologin=1&lang=en`);
    await P.waitTopCard(driver, { timeout: 30000 });
    await U.waitFor(() => H.hostPids(dataDir).length > 0, { timeout: 20000, what: 'the browser to start the host' });
    let nextFault = 3 + Math.floor(random() * 8);
    let downUntil = -1;
    for (let i = 0; i < N; i++) {
      if (i === downUntil) {
        fs.rmSync(downFlag, { force: true });
        downUntil = -1;
      }
      if (i === nextFault) {
        const r = random();
        if (r < 0.4) {
          faults.kills += killHost(dataDir) > 0 ? 1 : 0;
        } else if (r < 0.75) {
          faults.workerStops += (await stopWorker(driver, extId)) ? 1 : 0;
        } else if (r < 0.9) {
          // Host down for a few swipes: the labels wait in the stored outbox.
          fs.writeFileSync(downFlag, 'down\n');
          killHost(dataDir);
          faults.downWindows += 1;
          downUntil = i + 2 + Math.floor(random() * 4);
        } else {
          faults.kills += killHost(dataDir) > 0 ? 1 : 0;
          faults.workerStops += (await stopWorker(driver, extId)) ? 1 : 0;
        }
        nextFault = i + 3 + Math.floor(random() * 10);
        // Sometimes swipe at once, sometimes after the reconnect has begun.
        await U.sleep(Math.floor(random() * 400));
      }
      if (await P.dialog(driver)) await P.closeDialog(driver);
      const like = random() < 0.5;
      const s = await P.swipeTop(driver, mock, like ? 'key:ArrowRight' : 'key:ArrowLeft');
      U.assert(s.applied, `the page's swipe ${i} was not applied: ${JSON.stringify(s.call)}`);
      expected.push({ id: s.id, verdict: like ? 'like' : 'nope', source: 'swipe' });
    }
    fs.rmSync(downFlag, { force: true });
    U.assert(faults.kills + faults.downWindows > 0 && faults.workerStops > 0, `too few faults injected: ${JSON.stringify(faults)}`);
    return `${JSON.stringify(faults)}`;
  });
  fs.rmSync(downFlag, { force: true });

  await U.check(`fault: the store has exactly the ${N} labels (no loss, no duplicates) and passes integrity_check`, async () => {
    U.assert(expected.length === N, `only ${expected.length} of ${N} swipes were made`);
    const ids = new Set(expected.map((e) => e.id));
    U.assert(ids.size === N, `the page showed a profile twice (${ids.size} distinct of ${N}); the check needs distinct cards`);
    const t0 = Date.now();
    await waitLabels(dataDir, expected, 120000, 'every swipe as a label');
    // Anything still in flight (a replay) must not add rows: give it a moment, then count.
    await U.sleep(3000);
    const f = await storeFacts(dataDir);
    U.assert(f.integrity === 'ok', `integrity_check: ${f.integrity}`);
    U.assert(f.rows === N && f.keys === N && f.ids === N, `label rows ${f.rows}, keys ${f.keys}, profiles ${f.ids}; want ${N} of each`);
    const want = new Map(expected.map((e) => [e.id, e.verdict]));
    for (const [id, verdict, source] of f.labels) {
      U.assert(want.get(id) === verdict && source === 'swipe', `stored ${id} ${verdict}/${source}, expected ${want.get(id)}/swipe`);
    }
    const st = await H.stats(dataDir);
    U.assert(st.labels === N, `swipy stats: ${st.labels} labels`);
    return `all ${N} stored ${U.fmtMs(Date.now() - t0)} after the last swipe`;
  });

  await U.check('fault: the extension outbox is empty afterwards (every entry acknowledged)', async () => {
    let last = null;
    const left = await U.waitFor(async () => {
      const w = driver.extensionWorker(extId);
      if (!w) return null;
      const o = await w.evaluate(() => globalThis.swipy.outbox()).catch(() => null);
      if (o) last = o;
      return o && o.length === 0 ? o : null;
    }, { timeout: 30000, what: 'the outbox to drain' }).catch((e) => {
      // Say what waits, and why, so a failure can be read without a rerun.
      const waiting = (last || []).map((x) => `${x.key} (host stopped ${x.crashes || 0} times while handling it, ${x.sole_crashes || 0} with it alone in flight)`);
      const file = path.join(U.ensureArtifacts(), 'fault-worker-console.log');
      fs.writeFileSync(file, driver.console.join('\n') + '\n');
      throw new U.CheckError(`${e.message}; still waiting: ${waiting.join(', ') || 'unknown'} (the worker's console: ${path.relative(U.ROOT, file)})`);
    });
    return `${left.length} entries left`;
  });

  await driver.close();
  // The host exits when the browser closes the port.
  await U.waitFor(() => H.hostPids(dataDir).length === 0, { timeout: 20000, what: 'the host to exit' }).catch(() => {});

  await U.check('fault: the token is in no file of the data dir, the extension storage, nor the host\'s stderr', async () => {
    const token = mock.token;
    U.assert(token && token.length > 10, 'the mock gave no token');
    const secretPart = token.split('-').slice(2).join('-') || token;
    const dirs = [dataDir, ...extensionStorageDirs(profileDir, extId)];
    const hits = [...new Set([...U.filesContaining(dirs, token), ...U.filesContaining(dirs, secretPart)])];
    U.assert(hits.length === 0, `the token is in ${hits.join(', ')}`);
    const err = fs.existsSync(stderrFile) ? fs.readFileSync(stderrFile, 'utf8') : '';
    U.assert(err.length > 0, 'the host wrote nothing to stderr (the wrapper did not capture it)');
    U.assert(!err.includes(secretPart), 'the token is in the host\'s stderr');
    // Control: the scanner finds the page's own copy in its localStorage.
    const control = path.join(profileDir, 'Default', 'Local Storage');
    U.assert(U.filesContaining([control], token).length > 0, 'control failed: the token is not in the page\'s localStorage, so the scan proves nothing');
    // Anywhere else in the profile, the token may only sit in the page's own storage.
    const elsewhere = U.filesContaining([path.join(profileDir, 'Default')], secretPart)
      .filter((f) => !/[\\/](Local Storage|Session Storage)[\\/]/.test(f));
    U.assert(elsewhere.length === 0, `the token is in profile files outside the page's storage: ${elsewhere.join(', ')}`);
    return `${dirs.length} dirs, ${dirs.reduce((n, d) => n + U.listFiles(d).length, 0)} files and ${err.length} bytes of stderr scanned`;
  });
  await mock.stop();
}

module.exports = { faultSuite };

if (require.main === module) {
  const opts = { browsers: ['chromium'] };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--labels') opts.labels = Number(argv[++i]);
    else if (a === '--seed') opts.seed = Number(argv[++i]);
    else if (a === '--browser') {
      const b = argv[++i];
      opts.browsers = b === 'all' ? ['chromium', 'firefox'] : [b];
    } else if (a === '--keep') process.env.SWIPY_E2E_KEEP = '1';
    else if (a === '--verbose') process.env.SWIPY_E2E_VERBOSE = '1';
    else {
      console.error('usage: node tests/e2e/fault.js [--labels N] [--seed S] [--browser chromium|firefox|all] [--keep] [--verbose]');
      process.exit(2);
    }
  }
  U.installExitHandlers();
  const t0 = Date.now();
  faultSuite(opts)
    .catch(async (e) => {
      await U.check('fault: suite', () => {
        throw e;
      });
    })
    .then(async () => {
      await U.runCleanups();
      const s = U.summary();
      console.log(`\nswipy fault: ${s.passed} passed, ${s.failed.length} failed, ${s.skipped.length} skipped (${U.fmtMs(Date.now() - t0)})`);
      process.exit(s.failed.length ? 1 : 0);
    });
}
