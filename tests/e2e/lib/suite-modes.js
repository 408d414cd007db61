'use strict';
// Auto-swipe on a page that takes input like the real one may (part of the "learn" group; it
// needs the model trained by the Chromium learn checks). Per browser, with a copy of that
// data dir and the mock's input modes (tests/mock/README.md):
//
// - in each mode — `normal`, `lock` (presses ignored for 0.3 s after each swipe) and `nokeys`
//   (synthetic key events ignored, only clicks work), and on `lock,nokeys` with cards that carry
//   no aria-hidden (`?cards=unmarked`) — auto-swipe at its fastest preset keeps
//   swiping: 8 swipes of the next cards, then the daily cap, no other stop;
// - on `lock,nokeys` it stops, with no like/pass call afterwards, on a match, a dialog it does
//   not know (a portal dialog without markers), a failed like/pass request (the connection
//   drops: status 0), a recs rate limit (HTTP 429 + RATE_LIMITED) and out-of-likes.
// The page's matches lists reach the host (two older conversations become matches), and the
// host makes no request to api.gotinder.com in the whole run (the mock's log).

const fs = require('node:fs');
const path = require('node:path');
const U = require('./util');
const H = require('./host');
const P = require('./page');
const { startMock, swipeCalls } = require('./mock');
const { extPrerequisites } = require('./extchecks');
const { openPopup } = require('./extpage');

const APP = 'https://tinder.com/';
const ADDON_ID = 'swipy@swipy.app';
const ADDON_UUID = '5d1f7a2e-3c4b-4e6f-9a8b-7c6d5e4f3a21';
const RUN = 8;
const verbose = () => Boolean(process.env.SWIPY_E2E_VERBOSE);

/** Every like/pass/super request the mock saw (answered or not), in order. */
function tries(calls) {
  return calls.filter((c) => ['like', 'pass', 'super'].includes(c.kind));
}

/** A hook channel to the extension: the popup, open in a tab, sends the worker its messages. */
async function hookChannel(driver, browser, chromeId) {
  const popup = await openPopup(driver, browser, chromeId);
  return (msg) => popup.send(msg);
}

async function waitStop(hook, want, timeout) {
  let last = null;
  return U.waitFor(async () => {
    last = await hook({ kind: 'autoswipe_state' });
    if (!last.enabled && last.last_stop) {
      const ok = typeof want === 'function' ? want(last.last_stop) : last.last_stop.kind === want;
      if (!ok) throw new U.CheckError(`auto-swipe stopped with ${JSON.stringify(last.last_stop)}, expected ${typeof want === 'function' ? 'another stop' : want}`);
      return last;
    }
    return null;
  }, { timeout, interval: 250, what: () => `auto-swipe to stop (${typeof want === 'string' ? want : 'expected stop'}); state: enabled=${last && last.enabled} status=${JSON.stringify(last && last.status)} last_stop=${JSON.stringify(last && last.last_stop)}` });
}

/**
 * Scores of the next `n` cards, once the host has them: the ids served since the page was
 * (re)loaded at `loadSeq`, minus those swiped.
 */
async function readyNext(mock, dataDir, n, loadSeq, timeout = 150000) {
  const { hostScores } = require('./suite-learn');
  let last = '';
  return U.waitFor(async () => {
    const st = await mock.state();
    const swiped = new Set(Object.keys(st.swiped || {}));
    const ids = [];
    for (const c of st.calls) if (c.seq > loadSeq && c.kind === 'recs' && c.status === 200 && Array.isArray(c.ids)) ids.push(...c.ids);
    const next = ids.filter((id) => !swiped.has(id)).slice(0, n);
    if (next.length < Math.min(n, 4)) {
      last = `only ${next.length} cards in the stack`;
      return null;
    }
    const sc = await hostScores(dataDir, next);
    const notReady = next.filter((id) => !(sc.get(id) && sc.get(id).state === 'ready'));
    last = `${notReady.length} of ${next.length} not scored`;
    return notReady.length ? null : { ids: next, scores: next.map((id) => sc.get(id).p_like) };
  }, { timeout, interval: 2000, what: () => `host scores for the next cards: ${last}` });
}

async function lastSeq(mock) {
  const st = await mock.state();
  return st.calls.length ? st.calls[st.calls.length - 1].seq : 0;
}

/** Opens the page in `mode` and waits for a scored top card and scores of the next cards. */
async function openPage(driver, mock, dataDir, mode, cards = null) {
  if (await P.dialog(driver).catch(() => null)) await P.closeDialog(driver).catch(() => {});
  const loadSeq = await lastSeq(mock);
  await driver.goto(`${APP}?autologin=1&input=${mode}${cards ? `&cards=${cards}` : ''}`);
  await P.waitTopCard(driver, { timeout: 30000 });
  const input = await driver.eval(() => new URLSearchParams(location.search).get('input'));
  U.assert(input === mode, `the page runs in input mode ${input}`);
  const visible = await driver.eval(() => document.visibilityState);
  U.assert(visible === 'visible', `the tinder.com tab is ${visible}; auto-swipe would stop for a hidden tab`);
  return readyNext(mock, dataDir, RUN + 2, loadSeq);
}

/** Switches auto-swipe on with the fastest preset and `extra` settings. */
async function start(hook, extra) {
  const st0 = await hook({ kind: 'autoswipe_state' });
  const preset = await hook({ kind: 'autoswipe_preset', preset: 'fast_test', likes_per_12h: st0.likes_12h + 50, swipes_per_24h: st0.swipes_24h + 50, ...extra(st0) });
  U.assert(preset.ok, `fast_test preset refused: ${JSON.stringify(preset)}`);
  const on = await hook({ kind: 'autoswipe_enable', on: true });
  U.assert(on.ok, `autoswipe_enable refused: ${JSON.stringify(on)}`);
  return st0;
}

/** After a stop: no like/pass request for 1.5 s. */
async function nothingAfter(mock, since, what) {
  await U.sleep(1500);
  const after = tries(await mock.calls(since));
  U.assert(after.length === 0, `like/pass calls after ${what}: ${after.map((c) => `${c.kind} ${c.profile_id} (${c.status})`).join(', ')}`);
}

async function modeChecks({ browser, driver, mock, dataDir, hook, baseMatches }) {
  const name = (s) => `modes(${browser}): ${s}`;
  await U.check(name('the page\'s own matches lists reach the host: its two older conversations are matches in swipy stats'), async () => {
    const lists = (await mock.calls()).filter((c) => c.kind === 'matches' && c.status === 200 && /Mozilla/.test(c.ua));
    U.assert(lists.some((c) => /message=1/.test(c.query)), 'the page did not load its message=1 list');
    let st = null;
    await U.waitFor(async () => {
      st = await H.stats(dataDir);
      return st.matches >= baseMatches + 2;
    }, { timeout: 20000, what: () => `swipy stats to count the 2 conversations as matches (${baseMatches} before, now ${st && st.matches})` });
    return `${baseMatches} → ${st.matches} matches`;
  });
  // The last run: a page that marks no card with aria-hidden (only the top card's z-index
  // shows which one is on top).
  for (const [mode, cards] of [['normal', null], ['lock', null], ['nokeys', null], ['lock,nokeys', 'unmarked']]) {
    const variant = cards ? ` and cards without aria-hidden` : '';
    await U.check(name(`auto-swipe at the fastest preset keeps swiping with input ${mode}${variant}: ${RUN} swipes of the next cards, then the daily cap`), async () => {
      const next = await openPage(driver, mock, dataDir, mode, cards);
      const since = await lastSeq(mock);
      const t0 = Date.now();
      await start(hook, (st0) => ({ swipes_per_24h: st0.swipes_24h + RUN, threshold: 0.5 }));
      const st = await waitStop(hook, 'daily_cap', 60000);
      const took = Date.now() - t0;
      const calls = swipeCalls(await mock.calls(since)).filter((c) => c.kind !== 'super');
      const all = tries(await mock.calls(since));
      U.assert(all.length === calls.length, `like/pass requests that failed: ${all.filter((c) => c.status !== 200).map((c) => c.status).join(',')}`);
      U.assert(calls.length === RUN, `${calls.length} swipes before the daily cap of ${RUN} (stop: ${JSON.stringify(st.last_stop)})`);
      for (const c of calls) U.assert(/Mozilla/.test(c.ua), `call for ${c.id} did not come from the page`);
      const known = Math.min(RUN, next.ids.length);
      const ids = calls.map((c) => c.id).slice(0, known);
      U.assert(JSON.stringify(ids) === JSON.stringify(next.ids.slice(0, known)), `swiped ${ids} are not the next cards ${next.ids.slice(0, known)}`);
      const verdicts = calls.map((c) => c.kind);
      const want = next.scores.slice(0, known).map((p) => (p >= 0.5 ? 'like' : 'pass'));
      U.assert(JSON.stringify(verdicts.slice(0, known)) === JSON.stringify(want), `verdicts ${verdicts} for scores ${next.scores.map((p) => p.toFixed(2))}`);
      U.assert(took < 30000, `${RUN} swipes took ${took} ms at the fastest preset`);
      await nothingAfter(mock, calls[calls.length - 1].seq, 'the daily cap');
      return `${RUN} swipes in ${(took / 1000).toFixed(1)} s (${verdicts.filter((v) => v === 'like').length} likes)`;
    });
  }

  const hard = 'lock,nokeys';
  await U.check(name(`auto-swipe stops on a match, no call after the matching like (input ${hard})`), async () => {
    await openPage(driver, mock, dataDir, hard);
    const st = await mock.state();
    await mock.config({ match_every: st.likes + 1, likes_limit: 100000 });
    const since = await lastSeq(mock);
    await start(hook, () => ({ threshold: 0 }));
    const stopped = await waitStop(hook, 'match', 60000);
    const calls = swipeCalls(await mock.calls(since));
    const last = calls[calls.length - 1];
    U.assert(last && last.kind === 'like' && last.matched, `the last call is not the matching like: ${JSON.stringify(last)}`);
    await nothingAfter(mock, last.seq, 'the match');
    const d = await P.dialog(driver);
    U.assert(d && d.kind === 'match', `the page shows ${JSON.stringify(d)}`);
    await mock.config({ match_every: 0 });
    return stopped.last_stop.message || stopped.last_stop.kind;
  });

  await U.check(name(`auto-swipe stops on a portal dialog it does not know (input ${hard})`), async () => {
    await openPage(driver, mock, dataDir, hard);
    await start(hook, () => ({}));
    await U.waitFor(async () => (await hook({ kind: 'autoswipe_state' })).enabled, { timeout: 5000, what: 'auto-swipe to be on' });
    const injected = await lastSeq(mock);
    await driver.eval(() => {
      // Like the real app's portal: a body-level sibling of the app root, no marker attributes.
      const layer = document.createElement('div');
      layer.className = 'Pos(f) Inset(0) modal-layer';
      layer.innerHTML = '<div></div><div role="dialog" aria-modal="true" tabindex="-1" class="Pos(r) modal-box"><div><h3>Get Tinder Gold</h3><p>See who likes you.</p><button type="button">Maybe later</button></div></div>';
      layer.querySelector('button').addEventListener('click', () => layer.remove());
      let portal = document.getElementById('modal-manager');
      if (!portal) {
        portal = document.createElement('div');
        portal.id = 'modal-manager';
        document.body.appendChild(portal);
      }
      portal.appendChild(layer);
    });
    const st = await waitStop(hook, 'unknown_dialog', 30000);
    const between = tries(await mock.calls(injected));
    U.assert(between.length <= 1, `auto-swipe went on after the dialog: ${between.map((c) => `${c.kind} ${c.profile_id}`).join(', ')}`);
    await nothingAfter(mock, await lastSeq(mock), 'the dialog');
    await P.closeDialog(driver);
    return st.last_stop.message || st.last_stop.kind;
  });

  await U.check(name(`auto-swipe stops when a like/pass request fails (no status), nothing after it (input ${hard})`), async () => {
    await openPage(driver, mock, dataDir, hard);
    const since = await lastSeq(mock);
    await start(hook, () => ({}));
    await U.waitFor(async () => swipeCalls(await mock.calls(since)).length >= 2, { timeout: 30000, what: 'two swipes before the failure' });
    await mock.config({ fail_swipes: 1 });
    const st = await waitStop(hook, 'page_error', 30000);
    const all = tries(await mock.calls(since));
    const failed = all.find((c) => c.status === 0);
    U.assert(failed, 'no failed like/pass request in the mock log');
    const later = all.filter((c) => c.seq > failed.seq && c.profile_id !== failed.profile_id);
    U.assert(later.length === 0, `calls after the failed request: ${later.map((c) => `${c.kind} ${c.profile_id}`).join(', ')}`);
    await nothingAfter(mock, await lastSeq(mock), 'the failed request');
    await mock.config({ fail_swipes: 0 });
    return st.last_stop.message || st.last_stop.kind;
  });

  await U.check(name(`auto-swipe stops on a recs rate limit (HTTP 429, RATE_LIMITED) and says so, nothing after it (input ${hard})`), async () => {
    await openPage(driver, mock, dataDir, hard);
    await mock.config({ recs_rate_limit: 1 });
    const since = await lastSeq(mock);
    try {
      await start(hook, () => ({}));
      const st = await waitStop(hook, (s) => /rate/i.test(`${s.kind} ${s.message}`), 90000);
      const calls = await mock.calls(since);
      const limited = calls.find((c) => c.kind === 'recs' && c.status === 429);
      U.assert(limited, 'the page never got the 429 (the stack did not run low)');
      const after = tries(calls).filter((c) => c.seq > limited.seq);
      U.assert(after.length <= 1, `auto-swipe went on after the rate limit: ${after.map((c) => `${c.kind} ${c.profile_id}`).join(', ')}`);
      await nothingAfter(mock, await lastSeq(mock), 'the rate limit');
      return st.last_stop.message || st.last_stop.kind;
    } finally {
      await hook({ kind: 'autoswipe_enable', on: false }).catch(() => {});
      await mock.config({ recs_rate_limit: 0 });
    }
  });

  await U.check(name(`auto-swipe stops on out-of-likes: the refused like is the last call (input ${hard})`), async () => {
    await openPage(driver, mock, dataDir, hard);
    const st0 = await mock.state();
    await mock.config({ likes_limit: st0.likes, match_every: 0 });
    const since = await lastSeq(mock);
    await start(hook, () => ({ threshold: 0 }));
    const st = await waitStop(hook, 'out_of_likes', 60000);
    const calls = swipeCalls(await mock.calls(since));
    const last = calls[calls.length - 1];
    U.assert(last && last.kind === 'like' && !last.applied, `the last call is not the refused like: ${JSON.stringify(last)}`);
    await nothingAfter(mock, last.seq, 'out-of-likes');
    return st.last_stop.message || st.last_stop.kind;
  });

  await U.check(name('the host made no request to api.gotinder.com in the whole run (every API call came from the page)'), async () => {
    const api = (await mock.calls()).filter((c) => c.host === 'api.gotinder.com');
    U.assert(api.some((c) => c.kind === 'matches'), 'the page\'s matches lists are not in the log: the check would see nothing');
    const other = api.filter((c) => !/Mozilla/.test(c.ua));
    U.assert(other.length === 0, `requests to api.gotinder.com from outside the page: ${other.map((c) => `${c.method} ${c.path} (${c.ua})`).join(', ')}`);
    const cdn = (await mock.calls()).filter((c) => c.kind === 'photo' && !/Mozilla/.test(c.ua));
    U.assert(cdn.length > 0, 'no photo download by the host in the log (it identifies itself by its user agent)');
    return `${api.length} API calls, all from the page; ${cdn.length} photo downloads by the host`;
  });
}

async function modesBrowser(browser, trainedDataDir) {
  const label = `modes(${browser})`;
  const pre = extPrerequisites(browser === 'chromium' ? 'chrome' : 'firefox');
  if (pre.missing.length) {
    U.skip(`${label}: auto-swipe in each input mode`, `missing ${pre.missing.join('; ')}`);
    return;
  }
  let driver = null;
  let mock = null;
  let hook = null;
  let baseMatches = 0;
  const dataDir = U.tempDir(`modes-${browser}-data`);
  const ready = await U.check(`${label}: the trained data dir, the page and the extension are ready`, async () => {
    U.assert(trainedDataDir && fs.existsSync(trainedDataDir), 'no trained data dir from the Chromium learn checks (they failed or did not run)');
    fs.cpSync(trainedDataDir, dataDir, { recursive: true });
    fs.rmSync(path.join(dataDir, 'logs'), { recursive: true, force: true });
    baseMatches = (await H.stats(dataDir)).matches;
    // Two older conversations: the page's `message=1` list is not empty.
    const args = ['--debug', '--seed', `e2e-modes-${browser}`, '--match-every', '0', '--likes-limit', '100000', '--conversations', '2'];
    if (browser === 'chromium') {
      const { launchChromium } = require('./chromium');
      mock = await startMock({ args });
      const profileDir = U.tempDir('modes-chromium-profile');
      await H.installChromium(dataDir, profileDir, pre.chromeId);
      const env = {
        SWIPY_HOME: dataDir, SWIPY_LOG: 'info', SWIPY_TEST_CA: mock.ca,
        SWIPY_TEST_RESOLVE: `images-ssl.gotinder.com=127.0.0.1:${mock.port},api.gotinder.com=127.0.0.1:${mock.port}`,
      };
      driver = await launchChromium({ profileDir, extDir: pre.chromeDir, mockPort: mock.port, env, log: verbose() ? (l) => console.log(`  chromium| ${l}`) : undefined });
    } else {
      const { launchFirefox } = require('./firefox');
      const { mockForFirefox } = require('./suite-firefox');
      mock = await mockForFirefox(args);
      const home = U.tempDir('modes-ff-home');
      const profileDir = U.tempDir('modes-ff-profile');
      await H.installFirefox(dataDir, home);
      const env = {
        HOME: home, SWIPY_HOME: dataDir, SWIPY_LOG: 'info', SWIPY_TEST_CA: mock.ca,
        SWIPY_TEST_RESOLVE: `images-ssl.gotinder.com=127.0.0.1:${mock.port},api.gotinder.com=127.0.0.1:${mock.port}`,
      };
      driver = await launchFirefox({ profileDir, extDir: pre.firefoxDir, env, proxyPort: mock.proxyPort, addonId: ADDON_ID, addonUuid: ADDON_UUID, log: verbose() ? (l) => console.log(`  firefox| ${l}`) : undefined });
    }
    U.onCleanup(() => driver && driver.close());
    await driver.goto(`${APP}?autologin=1`);
    await P.waitTopCard(driver, { timeout: 30000 });
    await U.waitFor(() => H.hostPids(dataDir).length > 0, { timeout: 30000, what: 'the browser to start the host' });
    hook = await hookChannel(driver, browser, pre.chromeId);
    const st = await hook({ kind: 'autoswipe_state' });
    U.assert(st && 'enabled' in st, `autoswipe_state answered ${JSON.stringify(st).slice(0, 200)}`);
  });
  try {
    if (ready) await modeChecks({ browser, driver, mock, dataDir, hook, baseMatches });
  } finally {
    if (driver) {
      fs.writeFileSync(path.join(U.ensureArtifacts(), `modes-${browser}-console.log`), (driver.console || []).join('\n') + '\n');
      await driver.close();
    }
    if (mock) await mock.stop();
  }
}

/** The input-mode runs for the browsers of `opts`, with the data dir the Chromium learn checks trained. */
async function modesSuite(opts, trainedDataDir) {
  for (const b of opts.browsers) await modesBrowser(b, trainedDataDir);
}

module.exports = { modesSuite };
