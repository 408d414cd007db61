'use strict';
// "The mock behaves like the real app": the mock tinder.com in a real browser, no extension.
// These run first; when they fail, the extension checks would fail for the wrong reason.

const path = require('node:path');
const { check, assert, waitFor, sleep, ensureArtifacts } = require('./util');
const { servedIds } = require('./mock');
const P = require('./page');

const APP = 'https://tinder.com/';

/** Runs the mock checks with `driver` (no extension loaded). Returns true when all passed. */
async function mockChecks(driver, mock, label) {
  const t = (name) => `${label}: mock ${name}`;
  let ok = true;
  const c = async (name, fn) => {
    ok = (await check(t(name), fn)) && ok;
  };

  await c('serves the app with a strict CSP (WebAssembly refused in the page)', async () => {
    const r = await mock.request('GET', 'tinder.com', '/');
    const csp = String(r.headers['content-security-policy'] || '');
    assert(r.status === 200, `GET https://tinder.com/ answered ${r.status}`);
    assert(/script-src 'self'(;|$)/.test(csp) && !csp.includes('wasm-unsafe-eval'), `CSP is not strict: ${csp}`);
    assert(csp.includes('https://api.gotinder.com') && csp.includes('https://images-ssl.gotinder.com'), `CSP lacks the api/image hosts: ${csp}`);
    await driver.goto(APP);
    const wasm = await driver.eval(async () => {
      try {
        await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
        return 'compiled';
      } catch (e) {
        return `refused: ${e.message}`;
      }
    });
    assert(wasm.startsWith('refused'), `the page could compile WebAssembly despite the CSP (${wasm})`);
  });

  await c('fake login stores the token and the app fetches recs with it', async () => {
    await driver.eval(() => localStorage.clear());
    await driver.goto(APP);
    await P.clickSelector(driver, 'button[data-testid="login"]', { what: 'the login button' });
    await P.waitTopCard(driver);
    const stored = await driver.eval(() => localStorage.getItem('TinderWeb/APIToken'));
    assert(stored === mock.token, 'localStorage does not hold the token the mock issued');
    const calls = await mock.calls();
    for (const kind of ['login', 'profile', 'matches', 'recs']) {
      assert(calls.some((x) => x.kind === kind && x.status === 200), `no successful ${kind} call in the mock's log`);
    }
    const recs = calls.filter((x) => x.kind === 'recs');
    assert(recs.every((x) => x.auth === 'valid'), 'a recs call went without the valid X-Auth-Token');
    assert(recs[0].path === '/v2/recs/core' && /locale=en/.test(recs[0].query), `recs call was ${recs[0].path}?${recs[0].query}`);
  });

  await c('renders the card stack of the contract (top card, name, age, photo carousel)', async () => {
    const top = await P.waitTopCard(driver);
    const ids = servedIds(await mock.calls());
    assert(top.id === ids[0], `top card ${top.id} is not the first served profile ${ids[0]}`);
    const p = await mock.profile(top.id);
    assert(top.name === p.name, `name shown "${top.name}" but the profile is "${p.name}"`);
    assert(p.age === null ? top.age === null : top.age === String(p.age), `age shown ${top.age}, profile age ${p.age}`);
    assert(top.photos.length === p.photos.length && top.photos.length > 0, `${top.photos.length} photos in the carousel, profile has ${p.photos.length}`);
    assert(top.photos.every((u) => /^https:\/\/images-ssl\.gotinder\.com\/u\/.+\?Policy=.+&Signature=.+&Key-Pair-Id=/.test(u)), `photo URLs are not signed CDN URLs: ${top.photos[0]}`);
    assert(top.cards >= 2, `only ${top.cards} card(s) in the stack`);
    const hidden = await driver.eval(() => [...document.querySelectorAll('div.recsCardboard__cards > div')].map((d) => d.getAttribute('aria-hidden')));
    assert(hidden.filter((h) => h === 'false').length === 1 && hidden.filter((h) => h === 'true').length === hidden.length - 1, `aria-hidden values: ${hidden}`);
  });

  await c('photos load from the signed CDN URLs', async () => {
    const top = await P.waitTopCard(driver);
    const res = await P.loadImages(driver, top.photos);
    const bad = res.filter((r) => !r.ok);
    assert(bad.length === 0, `${bad.length} photo(s) did not load: ${bad.map((b) => b.why).join(', ')}`);
    assert(res.every((r) => r.w > 300 && r.h > 300), `photos are too small: ${res.map((r) => `${r.w}x${r.h}`).join(' ')}`);
    const cdn = (await mock.calls()).filter((x) => x.kind === 'photo' && x.status === 200);
    assert(cdn.some((x) => x.profile_id === top.id), 'the CDN log has no photo of the top card');
  });

  await c('gamepad buttons swipe and call /pass, /like and /like/{id}/super', async () => {
    await mock.config({ match_every: 0 });
    for (const [btn, kind] of [['nope', 'pass'], ['like', 'like'], ['superlike', 'super']]) {
      const s = await P.swipeTop(driver, mock, `gamepad:${btn}`);
      assert(s.kind === kind && s.applied, `${btn} → ${s.kind}`);
      assert(s.call.auth === 'valid', `${kind} call without the token`);
      if (kind !== 'pass') assert(s.call.s_number !== null, `${kind} call without s_number`);
      else assert(/s_number=\d+/.test(s.call.query), `pass call without ?s_number (${s.call.query})`);
    }
  });

  await c('arrow keys swipe (ArrowLeft nope, ArrowRight like, ArrowUp super like)', async () => {
    for (const key of ['ArrowLeft', 'ArrowRight', 'ArrowUp']) {
      const s = await P.swipeTop(driver, mock, `key:${key}`);
      assert(s.applied, `${key} swipe was not applied`);
    }
  });

  await c('cards keep their element as they move up the stack; the full profile re-mounts the top card', async () => {
    await driver.eval(() => {
      const second = document.querySelectorAll('div.recsCardboard__cards > div')[1];
      second.dataset.testMark = 'second';
    });
    await P.swipeTop(driver, mock, 'key:ArrowLeft');
    const kept = await driver.eval(() => {
      const top = document.querySelector('div.recsCardboard__cards > div[aria-hidden="false"]');
      return top.dataset.testMark || null;
    });
    assert(kept === 'second', 'the second card was re-created instead of moving up (the real app keeps keyed elements)');
    const before = await P.topCard(driver);
    await driver.press('ArrowDown');
    const opened = await waitFor(() => driver.eval(() => {
      const top = document.querySelector('div.recsCardboard__cards > div[aria-hidden="false"]');
      return top && top.classList.contains('recCard--expanded') && !top.dataset.testMark ? top.getAttribute('data-profile-id') : null;
    }), { timeout: 5000, what: 'the expanded profile' });
    assert(opened === before.id, `the expanded profile is ${opened}, not the top card ${before.id}`);
    await driver.press('ArrowDown');
    const closed = await P.waitTopCard(driver);
    assert(closed.id === before.id, 'closing the profile changed the top card');
  });

  await c('fetches more recs when the stack runs low', async () => {
    const recsCalls = async () => (await mock.calls()).filter((x) => x.kind === 'recs' && x.status === 200).length;
    const before = await recsCalls();
    let swipes = 0;
    let after = before;
    // A page has 10 profiles (one is a non-user result): a new page must come within 12 swipes.
    while (after === before && swipes < 12) {
      await P.swipeTop(driver, mock, 'key:ArrowLeft');
      swipes++;
      after = await recsCalls();
    }
    if (after === before) await waitFor(async () => (await recsCalls()) > before, { timeout: 5000, what: `a new recs call after ${swipes} swipes` });
    const stack = await P.waitTopCard(driver);
    assert(stack.cards >= 2, `only ${stack.cards} card(s) left after the refill`);
    assert(servedIds(await mock.calls()).includes(stack.id), 'top card is not a served profile');
    return `new recs page after ${swipes} swipes`;
  });

  await c('"It\'s a Match!" dialog every Nth like, closable', async () => {
    await mock.config({ match_every: 2 });
    const st = await mock.state();
    // The next like that makes (likes + super likes) a multiple of 2 matches.
    const needed = ((st.calls.filter((x) => ['like', 'super'].includes(x.kind) && x.applied).length) % 2 === 1) ? 1 : 2;
    let last;
    for (let i = 0; i < needed; i++) last = await P.swipeTop(driver, mock, 'gamepad:like');
    assert(last.call.matched === true, 'the mock did not report a match for the Nth like');
    const d = await waitFor(() => P.dialog(driver), { timeout: 5000, what: 'the match dialog' });
    assert(d.kind === 'match', `dialog kind ${d.kind}`);
    ensureArtifacts();
    await driver.screenshot(path.join(ensureArtifacts(), `${label}-mock-match-dialog.png`));
    const blocked = await P.topCard(driver);
    await driver.press('ArrowLeft');
    await sleep(300);
    const still = await P.topCard(driver);
    assert(still.id === blocked.id, 'a swipe went through while the match dialog was open');
    await P.closeDialog(driver);
    await mock.config({ match_every: 0 });
  });

  await c('out-of-likes dialog after the likes limit; the card stays', async () => {
    const st = await mock.state();
    await mock.config({ likes_limit: st.likes + 1 });
    const first = await P.swipeTop(driver, mock, 'gamepad:like');
    assert(first.applied, 'the last allowed like was refused');
    const card = await P.waitTopCard(driver);
    const refused = await P.swipeTop(driver, mock, 'gamepad:like');
    assert(!refused.applied && refused.call.rate_limited, 'a like over the limit was applied');
    const d = await waitFor(() => P.dialog(driver), { timeout: 5000, what: 'the out-of-likes dialog' });
    assert(d.kind === 'out-of-likes', `dialog kind ${d.kind}`);
    const after = await P.waitTopCard(driver);
    assert(after.id === card.id, `the refused card ${card.id} did not come back (top is ${after.id})`);
    await driver.screenshot(path.join(ensureArtifacts(), `${label}-mock-out-of-likes.png`));
    await P.closeDialog(driver);
    await mock.config({ likes_limit: 100000 });
  });

  await c('photo URLs expire (403 after the policy time)', async () => {
    await mock.config({ photo_ttl_s: 2 });
    const r = await mock.request('GET', 'api.gotinder.com', '/v2/recs/core?locale=en', undefined, { 'X-Auth-Token': mock.token });
    const user = r.json.data.results.find((x) => x.type === 'user').user;
    const u = new URL(user.photos[0].processedFiles[0].url);
    const fresh = await mock.request('GET', 'images-ssl.gotinder.com', u.pathname + u.search);
    assert(fresh.status === 200 && String(fresh.headers['content-type']).startsWith('image/jpeg'), `fresh URL answered ${fresh.status}`);
    const inPage = await P.loadImages(driver, [u.href]);
    assert(inPage[0].ok, 'a fresh signed URL did not load in the page');
    await sleep(2600);
    const stale = await mock.request('GET', 'images-ssl.gotinder.com', u.pathname + u.search);
    assert(stale.status === 403 && /expired/i.test(stale.body.toString()), `expired URL answered ${stale.status}`);
    const forged = await mock.request('GET', 'images-ssl.gotinder.com', u.pathname + u.search.replace(/Signature=[^&]+/, 'Signature=AAAA'));
    assert(forged.status === 403, `forged signature answered ${forged.status}`);
    const cacheBust = `${u.href}&cb=${Date.now()}`;
    const stalePage = await P.loadImages(driver, [cacheBust]);
    assert(!stalePage[0].ok, 'an expired URL still loaded in the page');
    await mock.config({ photo_ttl_s: 600 });
  });

  await c('gamepad texts are localized (?lang=de); a stale token gets 401 and the login page', async () => {
    await driver.goto(`${APP}?lang=de`);
    await P.waitTopCard(driver);
    const labels = await driver.eval(() => [...document.querySelectorAll('div.gamepad button[type="button"]')].map((b) => b.getAttribute('aria-label')));
    assert(labels.includes('Nein') && labels.includes('Gefällt mir'), `German gamepad labels: ${labels}`);
    await driver.eval(() => localStorage.setItem('TinderWeb/APIToken', 'expired-token'));
    const since = (await mock.state()).calls.slice(-1)[0].seq;
    await driver.goto(APP);
    await P.waitLocate(driver, 'button[data-testid="login"]', { what: 'the login page after a 401' });
    const calls = await mock.calls(since);
    assert(calls.some((x) => x.status === 401 && x.auth === 'invalid'), 'no 401 for the stale token in the mock log');
  });

  return ok;
}

module.exports = { mockChecks };
