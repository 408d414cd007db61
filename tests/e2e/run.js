#!/usr/bin/env node
'use strict';
// End-to-end tests of Swipy in real browsers against the mock tinder.com.
//
//   node tests/e2e/run.js [--browser chromium|firefox|all] [--only mock|ext|learn|modes|fault|all] [--keep] [--verbose]
//
// For each browser: first "the mock behaves like the real app" (no extension), then the
// extension + host checks (capture, swipe labels, overlay labels, host killed mid-session,
// no token on disk). Then "learn": label cards with a planted taste, train, score badges equal
// the host's scores, auto-swipe (threshold, likes cap, delays, match and out-of-likes stops),
// matches in the dashboard (Chromium); score badges (Firefox). "fault" runs tests/e2e/fault.js
// when it exists. One line per check; exit code 1 when any check failed.
// Prerequisites: Debian `chromium` / `firefox-esr`, `openssl`, node modules (`npm ci` in tests/),
// the photo fixtures (fetched on demand), `extension/dist/{chrome,firefox}` (`cargo xtask build`),
// `target/debug/swipy` (`cargo build -p swipy-host`) and, for "learn", the prepared models and
// the ONNX Runtime in target/models and target/ort (`cargo xtask models`). Under CI=true a missing prerequisite
// is a failure; elsewhere it is a clear skip.
// Env: SWIPY_E2E_KEEP=1 keeps temp dirs; SWIPY_E2E_VERBOSE=1 prints stacks and browser logs;
// SWIPY_BIN, SWIPY_CHROMIUM, SWIPY_FIREFOX override the binaries.

const fs = require('node:fs');
const path = require('node:path');
const U = require('./lib/util');

const GROUPS = ['mock', 'ext', 'learn', 'modes', 'fault', 'all'];
const FAULT = path.join(__dirname, 'fault.js');

function parseArgs(argv) {
  const o = { browsers: ['chromium', 'firefox'], only: 'all' };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--browser') {
      const b = val();
      if (b === 'all') o.browsers = ['chromium', 'firefox'];
      else if (b === 'chromium' || b === 'firefox') o.browsers = [b];
      else usage(`unknown browser ${b}`);
    } else if (a === '--only') {
      o.only = val();
      if (!GROUPS.includes(o.only)) usage(`--only takes ${GROUPS.join(', ')}, not ${o.only}`);
    } else if (a === '--keep') process.env.SWIPY_E2E_KEEP = '1';
    else if (a === '--verbose') process.env.SWIPY_E2E_VERBOSE = '1';
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  return o;
}

function usage(err) {
  if (err) console.error(`run.js: ${err}`);
  console.error('usage: node tests/e2e/run.js [--browser chromium|firefox|all] [--only mock|ext|learn|modes|fault|all] [--keep] [--verbose]');
  process.exit(err ? 2 : 0);
}

async function ensureFixtures() {
  const dir = path.join(U.ROOT, 'target', 'fixtures', 'openpeople');
  if (fs.existsSync(path.join(dir, '.openpeople-0.1.2'))) return dir;
  await U.run('sh', [path.join(U.ROOT, 'tests', 'fixtures', 'fetch-photos.sh')], { timeout: 300000 });
  return dir;
}

function prerequisites() {
  const missing = [];
  if (!U.which('openssl')) missing.push('openssl (apt-get install -y openssl)');
  try {
    require.resolve('playwright-core');
    require.resolve('ws');
    require.resolve('jpeg-js'); // the mock's WebP photos
  } catch {
    missing.push('node modules (run `npm ci` in tests/)');
  }
  return missing;
}

/** The fault-injection checks of tests/e2e/fault.js (a function, or {faultSuite|run}). */
async function faultGroup(opts) {
  if (!fs.existsSync(FAULT)) {
    await U.check('fault: tests/e2e/fault.js present', () => {
      throw new Error('tests/e2e/fault.js does not exist (the fault-injection checks are not written yet)');
    });
    return;
  }
  try {
    const m = require(FAULT);
    const fn = typeof m === 'function' ? m : m.faultSuite || m.run;
    if (typeof fn !== 'function') throw new Error('tests/e2e/fault.js exports no function (module.exports = fn, or {faultSuite} / {run})');
    await fn(opts, U);
  } catch (e) {
    await U.check('fault: suite', () => {
      throw e;
    });
  }
  await U.runCleanups();
}

async function main() {
  const opts = parseArgs(process.argv);
  U.installExitHandlers();
  const t0 = Date.now();
  console.log(`swipy e2e: browsers ${opts.browsers.join(', ')}; checks: ${opts.only}${U.CI ? '; CI=true' : ''}`);

  const missing = prerequisites();
  let fixturesOk = false;
  if (missing.length === 0) {
    fixturesOk = await U.check('setup: photo fixtures (openpeople 0.1.2) present', async () => {
      await ensureFixtures();
    });
  }
  if (missing.length) {
    U.skip('setup: prerequisites', `missing ${missing.join(', ')}`);
  } else if (fixturesOk) {
    const { chromiumSuite } = require('./lib/suite-chromium');
    const { firefoxSuite } = require('./lib/suite-firefox');
    if (opts.only === 'mock' || opts.only === 'all') await require('./lib/demochecks').demoChecks();
    if (['mock', 'ext', 'all'].includes(opts.only)) {
      for (const b of opts.browsers) {
        try {
          if (b === 'chromium') await chromiumSuite(opts);
          else await firefoxSuite(opts);
        } catch (e) {
          await U.check(`${b}: suite`, () => {
            throw e;
          });
        }
        await U.runCleanups();
      }
    }
    if (opts.only === 'learn' || opts.only === 'modes' || opts.only === 'all') {
      try {
        // `modes` (and `all`): the learn checks, then auto-swipe in each of the mock's input modes.
        await require('./lib/suite-learn').learnSuite({ ...opts, modes: opts.only === 'modes' || opts.only === 'all' });
      } catch (e) {
        await U.check('learn: suite', () => {
          throw e;
        });
      }
      await U.runCleanups();
    }
    if (opts.only === 'fault' || (opts.only === 'all' && fs.existsSync(FAULT))) await faultGroup(opts);
  }
  await U.runCleanups();
  const s = U.summary();
  console.log(`\nswipy e2e: ${s.passed} passed, ${s.failed.length} failed, ${s.skipped.length} skipped (${U.fmtMs(Date.now() - t0)})`);
  if (s.failed.length) {
    for (const f of s.failed) console.log(`  failed: ${f.name}`);
    process.exit(1);
  }
  process.exit(0);
}

main().catch(async (e) => {
  console.log(`FAIL e2e driver: ${e && e.stack ? e.stack : e}`);
  await U.runCleanups();
  process.exit(1);
});
