'use strict';
// The extension + host checks, the same for both browsers: capture while browsing, the page's
// own swipes as labels, overlay labels, the host killed mid-session, no token on disk.

const fs = require('node:fs');
const path = require('node:path');
const U = require('./util');
const H = require('./host');
const P = require('./page');
const { servedIds, swipeCalls } = require('./mock');

const APP = 'https://tinder.com/';
const SEL = { like: '[data-swipy="label-like"]', nope: '[data-swipy="label-nope"]', badge: '[data-swipy="badge"]' };

/** What the extension checks need; `kind` is 'chrome' or 'firefox'. */
function extPrerequisites(kind) {
  const missing = [];
  const dir = path.join(U.ROOT, 'extension', 'dist', kind);
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) missing.push(`extension/dist/${kind}/manifest.json (run \`cargo xtask build\`)`);
  let chromeId = null;
  if (kind === 'chrome') {
    const idFile = path.join(U.ROOT, 'extension', 'static', 'EXTENSION_ID');
    try {
      chromeId = fs.readFileSync(idFile, 'utf8').trim();
    } catch {
      missing.push('extension/static/EXTENSION_ID');
    }
    if (chromeId && !/^[a-p]{32}$/.test(chromeId)) missing.push(`a valid id in extension/static/EXTENSION_ID (got "${chromeId}")`);
  }
  const bin = H.swipyBin();
  const shown = bin.startsWith(U.ROOT + path.sep) ? path.relative(U.ROOT, bin) : bin;
  if (!fs.existsSync(bin)) missing.push(`${shown} (run \`cargo build -p swipy-host\`)`);
  return { missing, chromeDir: path.join(U.ROOT, 'extension', 'dist', 'chrome'), firefoxDir: path.join(U.ROOT, 'extension', 'dist', 'firefox'), chromeId };
}

const VERDICT = { like: 'like', pass: 'nope', super: 'superlike' };

async function rowsOrEmpty(dataDir) {
  try {
    return await H.exportRows(dataDir);
  } catch (e) {
    if (/no such|not found|does not exist/i.test(e.message)) return new Map();
    throw e;
  }
}

/** Waits until every `want` entry ({id, verdict, source}) is the latest label in the export. */
async function waitLabels(dataDir, want, timeout, what) {
  let rows = new Map();
  await U.waitFor(async () => {
    rows = await rowsOrEmpty(dataDir);
    return want.every((w) => {
      const l = H.labelOf(rows.get(w.id));
      return l && l.verdict === w.verdict && l.source === w.source;
    });
  }, {
    timeout,
    what: () => `${what}; missing or different: ${want.filter((w) => {
      const l = H.labelOf(rows.get(w.id));
      return !(l && l.verdict === w.verdict && l.source === w.source);
    }).map((w) => `${w.id} want ${w.verdict}/${w.source} got ${JSON.stringify(H.labelOf(rows.get(w.id)))}`).join('; ')}`,
  });
  return rows;
}

/** The overlay's own state and status text (for failure messages). */
function overlayState(driver) {
  return P.overlay(driver).then((o) => {
    if (!o) return 'no overlay element';
    return `profile-id=${o.id} state=${o.state} label=${o.label} host=${o.host} shown=${o.shown} status="${o.status}"`;
  }).catch((e) => `unreadable: ${e.message}`);
}

/**
 * The overlay on the top card: {card, id, state, label, host} (null when there is none, or it
 * does not lie over the top card). The overlay is in a closed shadow root outside the page's
 * tree; "on the top card" means laid over the top card's box.
 */
async function overlayAttrs(driver) {
  const [o, top] = await Promise.all([P.overlay(driver), P.topCard(driver)]);
  if (!o || !o.shown || !top || !top.rect) return null;
  const near = (a, b) => Math.abs(a - b) <= 2;
  const r = o.rect;
  if (!(near(r.x, top.rect.x) && near(r.y, top.rect.y) && near(r.w, top.rect.w) && near(r.h, top.rect.h))) return null;
  return { card: top.id, id: o.id, state: o.state, label: o.label, host: o.host };
}

async function waitOverlay(driver, pred, what, timeout = 10000) {
  let last = null;
  return U.waitFor(async () => {
    last = await overlayAttrs(driver);
    return last && pred(last) ? last : null;
  }, { timeout, what: () => `${what} (overlay: ${JSON.stringify(last)})` });
}

/** Clicks an overlay button; on failure the message carries the overlay's state. */
async function clickOverlay(driver, selector, opts) {
  try {
    return await P.clickSelector(driver, selector, opts);
  } catch (e) {
    throw new U.CheckError(`${e.message}; overlay: ${await overlayState(driver)}`);
  }
}

/** Closes a match dialog if one is open (saving a screenshot of the first one). */
async function dismissDialog(ctx) {
  const d = await P.dialog(ctx.driver);
  if (!d) return null;
  if (!ctx.savedMatch && d.kind === 'match') {
    ctx.savedMatch = true;
    await ctx.driver.screenshot(path.join(U.ensureArtifacts(), `${ctx.label}-match-dialog.png`)).catch(() => {});
  }
  await P.closeDialog(ctx.driver);
  return d;
}

/** The one version of Swipy: the workspace's (Cargo.toml `[workspace.package] version`). */
function workspaceVersion() {
  const toml = fs.readFileSync(path.join(U.ROOT, 'Cargo.toml'), 'utf8');
  const m = /\[workspace\.package\][^[]*?\nversion\s*=\s*"([^"]+)"/.exec(toml);
  U.assert(m, 'no [workspace.package] version in Cargo.toml');
  return m[1];
}

async function extChecks({ label, driver, mock, dataDir, downFlag, secretScanDirs, controlDirs, hostStderr, lang = 'en', popup = null, dashboard = null, workerState = null, stopWorker = null, workerOutbox = null }) {
  const ctx = { label, driver, savedMatch: false };
  const name = (s) => `${label}: ${s}`;
  let hostPid = null;

  const pageOk = await U.check(name(`the page loads (lang=${lang}) and the browser starts the host`), async () => {
    await driver.goto(`${APP}?autologin=1&lang=${lang}`);
    await P.waitTopCard(driver, { timeout: 30000 });
    const pids = await U.waitFor(() => {
      const p = H.hostPids(dataDir);
      return p.length ? p : null;
    }, { timeout: 30000, what: `a swipy process with SWIPY_HOME=${dataDir} (did the extension call connectNative?)` });
    hostPid = pids[0];
    return `host pid ${pids.join(',')}`;
  });
  if (!pageOk) return { hostPid, afterClose: async () => {} };

  // A couple of swipes first, so the page fetched a second recs page to capture.
  let expected = [];
  await U.check(name('browsing: the host has every profile the page loaded (swipy export)'), async () => {
    await U.waitFor(async () => servedIds(await mock.calls()).length > 0, { timeout: 10000, what: 'a recs response' });
    const served = servedIds(await mock.calls());
    let rows = new Map();
    await U.waitFor(async () => {
      rows = await rowsOrEmpty(dataDir);
      return served.every((id) => rows.has(id));
    }, { timeout: 30000, what: () => `${served.filter((id) => !rows.has(id)).length} of ${served.length} served profiles in swipy export` });
    U.assert(rows.size === served.length, `export has ${rows.size} profiles, the page loaded ${served.length} (non-user results must not be stored)`);
    for (const id of served) {
      const p = await mock.profile(id);
      const r = rows.get(id);
      U.assert(r.name === p.name, `${id}: name ${JSON.stringify(r.name)}, page showed ${JSON.stringify(p.name)}`);
      U.assert((r.bio || '') === p.bio, `${id}: bio ${JSON.stringify(r.bio)} differs from ${JSON.stringify(p.bio)}`);
      U.assert(r.photos === p.photos.length, `${id}: ${r.photos} photos, profile has ${p.photos.length}`);
      if (!p.birthDate) U.assert(r.age === null, `${id}: age ${r.age} although the profile has no birth_date`);
      else if (!p.hideAge) U.assert(r.age === p.age, `${id}: age ${r.age}, expected ${p.age}`);
      if (p.hideDistance) U.assert(r.distance_km === null, `${id}: distance ${r.distance_km} although hide_distance`);
      else U.assert(typeof r.distance_km === 'number' && Math.abs(r.distance_km - p.distanceMi * 1.609344) < 1.01, `${id}: distance_km ${r.distance_km} for ${p.distanceMi} mi`);
    }
    expected = served;
    return `${served.length} profiles`;
  });

  await U.check(name('the host downloads every photo of every captured profile'), async () => {
    U.assert(expected.length, 'no captured profiles to check');
    let rows = new Map();
    await U.waitFor(async () => {
      rows = await rowsOrEmpty(dataDir);
      return expected.every((id) => rows.get(id) && rows.get(id).photos_fetched === rows.get(id).photos);
    }, { timeout: 60000, what: () => `photos of ${expected.filter((id) => !(rows.get(id) && rows.get(id).photos_fetched === rows.get(id).photos)).length} profiles` });
    const cdn = (await mock.calls()).filter((c) => c.kind === 'photo' && c.status === 200 && !/Mozilla/.test(c.ua));
    const fetched = new Set(cdn.map((c) => c.profile_id));
    const notFetched = expected.filter((id) => !fetched.has(id));
    U.assert(notFetched.length === 0, `the mock CDN saw no host download for ${notFetched.join(', ')}`);
    const st = await H.stats(dataDir);
    const total = [...rows.values()].reduce((n, r) => n + r.photos, 0);
    U.assert(st.photos >= total, `stats.photos ${st.photos} < ${total}`);
    return `${total} photos, host UA ${JSON.stringify(cdn[0] && cdn[0].ua)}`;
  });

  const swiped = [];
  const mapping = []; // [{card: real id (debug attribute), overlay: id the extension matched}]
  await U.check(name('swipes with the page\'s buttons and arrow keys become labels (source swipe)'), async () => {
    for (const how of ['gamepad:like', 'gamepad:nope', 'key:ArrowRight', 'key:ArrowLeft', 'gamepad:superlike', 'key:ArrowRight']) {
      await dismissDialog(ctx);
      const seen = await waitOverlay(driver, (o) => o.id, 'the overlay to match the top card to a profile').catch(() => null);
      const topNow = await P.topCard(driver);
      mapping.push({ card: topNow && topNow.id, overlay: seen ? seen.id : null, name: topNow && topNow.name });
      const s = await P.swipeTop(driver, mock, how);
      U.assert(s.applied, `${how} was not applied by the mock`);
      swiped.push({ id: s.id, verdict: VERDICT[s.kind], source: 'swipe', how });
    }
    // The mock matches every 4th like: the page must still read the like response through the
    // extension's fetch/XHR hook and show the dialog.
    const matchedCalls = (await mock.calls()).filter((c) => c.matched === true);
    U.assert(matchedCalls.length >= 1, 'the mock reported no match although it matches every 4th like');
    if (!ctx.savedMatch) {
      await U.waitFor(async () => ((await P.dialog(driver)) || {}).kind === 'match', {
        timeout: 5000, what: 'the match dialog for the matching like (does the hook change what the page receives?)',
      });
      await dismissDialog(ctx);
    }
    const rows = await waitLabels(dataDir, swiped, 30000, 'swipe labels in swipy export');
    const extra = [...rows.values()].filter((r) => H.labelOf(r) && H.labelOf(r).source === 'swipe' && !swiped.some((w) => w.id === r.id));
    U.assert(extra.length === 0, `labels with source swipe for profiles never swiped: ${extra.map((r) => r.id).join(', ')}`);
    const calls = swipeCalls(await mock.calls());
    U.assert(calls.every((c) => /Mozilla/.test(c.ua)), 'a like/pass call did not come from the page (extension or host called the API)');
    return swiped.map((w) => `${w.how}→${w.verdict}`).join(' ');
  });

  await U.check(name('the overlay matches every top card to its own profile id'), async () => {
    U.assert(mapping.length > 0, 'no cards were seen');
    const bad = mapping.filter((m) => m.overlay !== m.card);
    U.assert(bad.length === 0, `wrong or missing matches: ${bad.map((m) => `${m.name} is ${m.card}, overlay says ${m.overlay}`).join('; ')}`);
    return `${mapping.length} cards`;
  });

  let overlayId = null;
  await U.check(name('overlay buttons on the top card record labels without swiping (source overlay)'), async () => {
    await dismissDialog(ctx);
    const top = await P.waitTopCard(driver);
    await P.waitLocate(driver, SEL.like, { timeout: 20000, what: `the overlay ${SEL.like} on the top card` });
    await P.waitLocate(driver, SEL.nope, { timeout: 5000 });
    // The overlay must not cover the page's own controls.
    const covered = await driver.eval(() => [...document.querySelectorAll('div.gamepad button[type="button"]')].filter((b) => {
      const r = b.getBoundingClientRect();
      const el = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      return !(el && (el === b || b.contains(el)));
    }).map((b) => b.textContent.trim()));
    U.assert(covered.length === 0, `the overlay covers the page's buttons: ${covered.join(', ')}`);
    const shot = path.join(U.ensureArtifacts(), `${label}-overlay.png`);
    await driver.screenshot(shot);
    const since = (await mock.state()).calls.slice(-1)[0].seq;
    await clickOverlay(driver, SEL.like);
    await waitLabels(dataDir, [{ id: top.id, verdict: 'like', source: 'overlay' }], 20000, 'the overlay like label');
    await waitOverlay(driver, (o) => o.state === 'saved' && o.label === 'like' && o.id === top.id, 'the overlay to show the like as saved');
    await clickOverlay(driver, SEL.nope);
    await waitLabels(dataDir, [{ id: top.id, verdict: 'nope', source: 'overlay' }], 20000, 'the overlay nope label (last one wins)');
    await waitOverlay(driver, (o) => o.state === 'saved' && o.label === 'nope', 'the overlay to show the nope as saved');
    const swipesMeanwhile = swipeCalls(await mock.calls(since));
    U.assert(swipesMeanwhile.length === 0, `overlay clicks made the page swipe: ${JSON.stringify(swipesMeanwhile)}`);
    const still = await P.waitTopCard(driver);
    U.assert(still.id === top.id, `the top card changed after overlay clicks (${top.id} → ${still.id})`);
    overlayId = top.id;
    return `screenshot ${path.relative(U.ROOT, shot)}`;
  });

  await U.check(name('the overlay comes back, knowing the profile, when the page re-mounts the card (profile opened and closed)'), async () => {
    const top = await P.waitTopCard(driver);
    const known = async (what) => {
      try {
        return await U.waitFor(async () => {
          const o = await overlayAttrs(driver);
          const b = o && o.id ? await P.locate(driver, SEL.like) : null;
          return b && !b.disabled ? o.id : null;
        }, { timeout: 10000, what });
      } catch (e) {
        throw new U.CheckError(`${e.message}; overlay: ${await overlayState(driver)}`);
      }
    };
    await driver.press('ArrowDown');
    const a = await known('an enabled overlay on the opened profile');
    await driver.press('ArrowDown');
    const b = await known('an enabled overlay on the card after closing the profile');
    U.assert(a === top.id && b === top.id, `overlay profile ids ${a}, ${b}; top card ${top.id}`);
  });

  await U.check(name('score badge slot on the top card'), async () => {
    await P.waitLocate(driver, SEL.badge, { timeout: 10000, what: `${SEL.badge} on the top card` });
  });

  await U.check(name('host killed mid-session: labels made meanwhile arrive after the reconnect'), async () => {
    const pids = H.hostPids(dataDir);
    U.assert(pids.length > 0, 'no running host to kill');
    // Keep the host down (the registered wrapper fails while the flag exists), then SIGKILL it.
    fs.writeFileSync(downFlag, 'down\n');
    let restored = false;
    try {
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      await U.waitFor(() => pids.every((p) => !H.alive(p)), { timeout: 5000, what: `host ${pids} to die` });
      // While the host is down: a swipe (on the card labelled by the overlay) and an overlay label.
      const a = await P.swipeTop(driver, mock, 'key:ArrowRight');
      U.assert(overlayId === null || a.id === overlayId, 'unexpected top card');
      await dismissDialog(ctx);
      const b = await P.waitTopCard(driver);
      await clickOverlay(driver, SEL.nope, { timeout: 20000, what: 'the overlay on the next card' });
      await U.sleep(1500);
      U.assert(H.hostPids(dataDir).length === 0, 'a host is running although the test keeps it down');
      const waiting = await overlayAttrs(driver);
      U.assert(waiting && waiting.state === 'pending' && waiting.host === 'disconnected', `while the host is down the overlay should say pending/disconnected: ${JSON.stringify(waiting)}`);
      const rows = await H.exportRows(dataDir);
      const early = [[a.id, 'swipe'], [b.id, 'overlay']].filter(([id, src]) => (H.labelOf(rows.get(id)) || {}).source === src);
      U.assert(early.length === 0, `labels reached the store while the host was down?! ${JSON.stringify(early)}`);
      fs.rmSync(downFlag, { force: true });
      restored = true;
      const want = [{ id: a.id, verdict: 'like', source: 'swipe' }, { id: b.id, verdict: 'nope', source: 'overlay' }];
      const t0 = Date.now();
      const fresh = await U.waitFor(() => {
        const now = H.hostPids(dataDir).filter((p) => !pids.includes(p));
        return now.length ? now : null;
      }, { timeout: 75000, interval: 250, what: 'the extension to start the host again (reconnect with backoff)' });
      await waitLabels(dataDir, want, 30000, 'labels made while the host was down');
      await waitOverlay(driver, (o) => o.state === 'saved' && o.label === 'nope' && o.host === 'connected', 'the overlay to show the label as saved after the reconnect');
      hostPid = fresh[0];
      return `killed ${pids.join(',')}, host back as ${fresh.join(',')} after ${U.fmtMs(Date.now() - t0)}; both labels delivered`;
    } finally {
      if (!restored) fs.rmSync(downFlag, { force: true });
    }
  });

  if (stopWorker) {
    await U.check(name('worker stopped while a label waits: it is replayed from storage, the card is matched again'), async () => {
      const pids = H.hostPids(dataDir);
      fs.writeFileSync(downFlag, 'down\n');
      try {
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        await U.waitFor(() => pids.every((p) => !H.alive(p)), { timeout: 5000, what: `host ${pids} to die` });
        await dismissDialog(ctx);
        const top = await P.waitTopCard(driver);
        await clickOverlay(driver, SEL.like, { timeout: 20000 });
        await waitOverlay(driver, (o) => o.state === 'pending' && o.label === 'like', 'the overlay to show the label as pending');
        if (workerOutbox) {
          const keys = (await workerOutbox()).map((e) => (e && (e.key || e.k)) || JSON.stringify(e));
          U.assert(keys.some((k) => k.includes(top.id)), `the label is not in the stored outbox before the worker stops: ${keys.join(', ').slice(0, 300)}`);
        }
        const how = await stopWorker();
        fs.rmSync(downFlag, { force: true });
        await waitLabels(dataDir, [{ id: top.id, verdict: 'like', source: 'overlay' }], 75000, 'the label stored before the worker stopped');
        await waitOverlay(driver, (o) => o.id === top.id && o.state === 'saved' && o.label === 'like', 'the overlay to match the card again and show the label saved', 20000);
        return how;
      } finally {
        fs.rmSync(downFlag, { force: true });
      }
    });
  }

  if (popup) {
    await U.check(name('the popup shows the host connected and the counts of swipy stats'), async () => {
      let view = null;
      let st = null;
      await U.waitFor(async () => {
        st = await H.stats(dataDir);
        view = await popup();
        return view.conn === 'connected' && Number(view.profilesTotal) === st.profiles && Number(view.labelsTotal) === st.labels;
      }, { timeout: 15000, what: () => `popup ${JSON.stringify(view)} to agree with stats profiles=${st && st.profiles} labels=${st && st.labels}` });
      return `profiles ${view.profilesTotal}, labels ${view.labelsTotal}, balance ${view.balance}`;
    });
    await U.check(name('the popup and the dashboard show the version and the same profile counts as swipy stats, named as profiles'), async () => {
      const version = workspaceVersion();
      U.assert(version !== '0.0.0', 'the workspace version is still 0.0.0');
      let st = null;
      let p = null;
      let d = null;
      const agree = (v) => v && Number(v.profilesToday) === st.profiles_today && Number(v.profilesTotal) === st.profiles
        && Number(v.labelsToday) === st.labels_today && Number(v.labelsTotal) === st.labels;
      await U.waitFor(async () => {
        st = await H.stats(dataDir);
        p = await popup();
        d = dashboard ? await dashboard() : null;
        return agree(p) && (!dashboard || agree(d));
      }, { timeout: 20000, what: () => `popup ${JSON.stringify(p)} and dashboard ${JSON.stringify(d)} to agree with swipy stats ${JSON.stringify(st)}` });
      U.assert(st.labels_today <= st.labels, `stats: ${st.labels_today} profiles labelled today but ${st.labels} in total`);
      U.assert(p.version === version, `the popup shows version "${p.version}", the workspace is ${version}`);
      U.assert(/Profiles today in total captured .* labelled /.test(p.counts), `the popup's counts do not say what they count: "${p.counts}"`);
      if (dashboard) {
        U.assert(d.version === version, `the dashboard shows version "${d.version}", the workspace is ${version}`);
        U.assert(/today in total captured .* labelled /.test(d.counts), `the dashboard's counts do not say what they count: "${d.counts}"`);
      }
      return `version ${version}; profiles captured ${st.profiles_today} today / ${st.profiles} in total, labelled ${st.labels_today} / ${st.labels}${dashboard ? ' (popup and dashboard)' : ' (popup)'}`;
    });
  }

  await U.check(name('swipy stats agrees with the export'), async () => {
    const st = await H.stats(dataDir);
    const rows = await H.exportRows(dataDir);
    U.assert(st.profiles === rows.size, `stats.profiles ${st.profiles} vs ${rows.size} exported`);
    const labelled = [...rows.values()].filter((r) => H.labelOf(r)).length;
    U.assert(st.labels >= labelled, `stats.labels ${st.labels} < ${labelled} labelled profiles`);
    return `profiles ${st.profiles}, labels ${st.labels}, photos ${st.photos}`;
  });

  // Whether the worker had the token (asked before the browser closes).
  let tokenKnown = null;
  if (workerState) {
    tokenKnown = await workerState().then((st) => Boolean(st && st.token_known)).catch(() => false);
  }
  // Run after the browser is closed: everything is flushed to disk then, and the host got EOF.
  const afterClose = async () => {
    await U.check(name('the host exits when the browser closes'), async () => {
      await U.waitFor(() => H.hostPids(dataDir).length === 0, { timeout: 15000, what: `swipy processes ${H.hostPids(dataDir)} to exit` });
    });
    await U.check(name('the token is in no file of the data dir or the extension storage, the logs, nor the host\'s stderr'), async () => {
      const token = mock.token;
      const calls = await mock.calls();
      U.assert(calls.some((c) => c.kind === 'recs' && c.auth === 'valid'), 'the page never sent the token (nothing to leak)');
      if (tokenKnown !== null) U.assert(tokenKnown === true, 'the extension never saw the token (nothing could leak; is the hook working?)');
      const logFile = path.join(dataDir, 'logs', 'swipy.log');
      U.assert(fs.existsSync(logFile) && fs.statSync(logFile).size > 0, `no host log at ${logFile}`);
      const dirs = secretScanDirs();
      const files = dirs.reduce((n, d) => n + U.listFiles(d).length, 0);
      // The whole token, and its random part alone (a truncated or reformatted leak).
      const secretPart = token.split('-').slice(2).join('-');
      const hits = [...new Set([...U.filesContaining(dirs, token), ...U.filesContaining(dirs, secretPart)])];
      U.assert(hits.length === 0, `the token is in ${hits.map((h) => path.relative(path.dirname(dataDir), h)).join(', ')}`);
      const err = hostStderr();
      const hostLines = err.split('\n').filter((l) => /\b(TRACE|DEBUG|INFO|WARN|ERROR)\s+\[\d+\]/.test(l)).length;
      U.assert(hostLines > 0, 'no host log line in the browser\'s stderr: the stderr check would be vacuous');
      U.assert(!err.includes(secretPart), 'the token is in the host\'s stderr');
      const control = controlDirs();
      if (control.length) {
        U.assert(U.filesContaining(control, token).length > 0, 'control failed: the token is not found in the page\'s own localStorage, so the scan would not find it either');
      }
      return `${files} files in ${dirs.map((d) => path.basename(d)).join(', ')} and ${hostLines} host stderr lines scanned${control.length ? '; control found the page\'s own copy' : ''}`;
    });
  };
  return { hostPid, afterClose };
}

module.exports = { extChecks, extPrerequisites, waitLabels, overlayAttrs };
