'use strict';
// "The mock behaves like the real app": the mock tinder.com in a real browser, no extension.
// These run first; when they fail, the extension checks would fail for the wrong reason.

const path = require('node:path');
const { check, assert, waitFor, sleep, ensureArtifacts } = require('./util');
const { servedIds, swipeCalls } = require('./mock');
const { webpSize } = require('../../mock/webp');
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
    // The two matches lists of the real web app: new matches and conversations.
    for (const list of ['0', '1']) {
      assert(calls.some((x) => x.kind === 'matches' && x.status === 200 && new URLSearchParams(x.query).get('message') === list && /count=60/.test(x.query) && /is_tinder_u=false/.test(x.query)),
        `no /v2/matches?…&message=${list}&is_tinder_u=false call: ${calls.filter((x) => x.kind === 'matches').map((x) => x.query).join(' | ')}`);
    }
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
    assert(top.photos.every((u) => /^https:\/\/images-ssl\.gotinder\.com\/u\/[A-Za-z0-9]{22}\/[A-Za-z0-9]{22}\.webp\?Policy=.+&Signature=.+&Key-Pair-Id=/.test(u)), `photo URLs are not signed CDN .webp URLs: ${top.photos[0]}`);
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

  await c('recs have the real shapes: 16-digit s_number, four WebP processedFiles that the CDN serves at their size', async () => {
    const r = await mock.request('GET', 'api.gotinder.com', '/v2/recs/core?locale=en', undefined, { 'X-Auth-Token': mock.token });
    const users = r.json.data.results.filter((x) => x.type === 'user');
    assert(users.length > 0, 'no user in a recs page');
    for (const x of users) {
      assert(Number.isSafeInteger(x.s_number) && String(x.s_number).length === 16, `s_number ${x.s_number} is not a 16-digit integer`);
      for (const ph of x.user.photos) {
        const sizes = ph.processedFiles.map((f) => `${f.width}x${f.height}`).join(',');
        assert(sizes === '640x800,320x400,172x216,84x106', `processedFiles sizes ${sizes}`);
        assert(ph.processedFiles.every((f) => /\.webp\?Policy=/.test(f.url)) && /\.jpeg\?Policy=/.test(ph.url), `photo formats: ${ph.url} / ${ph.processedFiles[0].url}`);
      }
    }
    const ph = users[0].user.photos[0];
    for (const f of [ph.processedFiles[0], ph.processedFiles[3]]) {
      const u = new URL(f.url);
      const got = await mock.request('GET', 'images-ssl.gotinder.com', u.pathname + u.search);
      assert(got.status === 200 && got.headers['content-type'] === 'image/webp', `${f.width}x${f.height}: HTTP ${got.status} ${got.headers['content-type']}`);
      assert(!('access-control-allow-origin' in got.headers), 'the CDN sent Access-Control-Allow-Origin (CloudFront does not for these)');
      const size = webpSize(got.body);
      assert(size && size.width === f.width && size.height === f.height, `the CDN's WebP is ${JSON.stringify(size)}, processedFiles says ${f.width}x${f.height}`);
    }
    const noFace = users.flatMap((x) => x.user.photos).filter((p) => !p.crop_info.faces);
    assert(noFace.every((p) => !p.crop_info.algo && !p.crop_info.user), 'a photo without faces still has crop_info.user/algo');
    const inPage = await P.loadImages(driver, [ph.processedFiles[0].url, ph.processedFiles[3].url]);
    assert(inPage.every((x) => x.ok) && inPage[0].w === 640 && inPage[1].w === 84, `the WebPs in the page: ${JSON.stringify(inPage)}`);
    return `${users.length} users, ${noFace.length} photo(s) without a face`;
  });

  await c('gamepad buttons have no aria-label, only hidden text (LIKE, NOPE, ...); they swipe and call /pass, /like and /like/{id}/super', async () => {
    const buttons = await driver.eval(() => [...document.querySelectorAll('div.gamepad button[type="button"]')].map((b) => ({
      label: b.getAttribute('aria-label'), text: b.textContent.replace(/[^A-Z ]/g, '').trim(), cls: b.className,
    })));
    assert(buttons.length === 5 && buttons.every((b) => b.label === null), `gamepad buttons: ${JSON.stringify(buttons)}`);
    assert(JSON.stringify(buttons.map((b) => b.text)) === JSON.stringify(['REWIND', 'NOPE', 'SUPER LIKE', 'LIKE', 'BOOST']), `hidden texts: ${buttons.map((b) => b.text)}`);
    assert(buttons[3].cls.includes('sparks-like-default') && buttons[1].cls.includes('sparks-nope-default'), `classes: ${buttons.map((b) => b.cls)}`);
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
    assert(d.kind === 'match', `dialog kind ${d.kind} (${d.text})`);
    // A portal: a body-level sibling of the app root, nothing that names the dialog's kind.
    const where = await driver.eval(() => {
      const dlg = document.querySelector('[role="dialog"]');
      let top = dlg;
      while (top.parentElement && top.parentElement !== document.body) top = top.parentElement;
      const marked = [dlg, ...dlg.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('data-'));
      return { portal: top.parentElement === document.body && top !== document.getElementById('app'), app: Boolean(dlg.closest('#app')), marked, modal: dlg.getAttribute('aria-modal') };
    });
    assert(where.portal && !where.app, `the dialog is not in a portal beside the app root: ${JSON.stringify(where)}`);
    assert(where.marked.length === 0 && where.modal === 'true', `the dialog carries ${where.marked.join(', ')} (aria-modal ${where.modal})`);
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

  await c('out-of-likes dialog after the likes limit; the card stays; likes_remaining is 100 until it is 0', async () => {
    const remaining = async () => (await mock.request('GET', 'api.gotinder.com', '/v2/profile?include=likes', undefined, { 'X-Auth-Token': mock.token })).json.data.likes.likes_remaining;
    const st = await mock.state();
    await mock.config({ likes_limit: st.likes + 2 });
    assert((await remaining()) === 100, 'likes_remaining is not 100 with 2 likes left');
    await P.swipeTop(driver, mock, 'gamepad:like');
    assert((await remaining()) === 100, 'likes_remaining counted down instead of staying 100 with 1 like left');
    const first = await P.swipeTop(driver, mock, 'gamepad:like');
    assert(first.applied, 'the last allowed like was refused');
    assert((await remaining()) === 0, 'likes_remaining is not 0 after the last like');
    const card = await P.waitTopCard(driver);
    const refused = await P.swipeTop(driver, mock, 'gamepad:like');
    assert(!refused.applied && refused.call.rate_limited, 'a like over the limit was applied');
    const d = await waitFor(() => P.dialog(driver), { timeout: 5000, what: 'the out-of-likes dialog' });
    assert(d.kind === 'out-of-likes', `dialog kind ${d.kind} (${d.text})`);
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
    assert(fresh.status === 200 && String(fresh.headers['content-type']).startsWith('image/webp'), `fresh URL answered ${fresh.status} ${fresh.headers['content-type']}`);
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

  await c('page texts are localized (?lang=de), the gamepad is not; a stale token gets 401 and the login page', async () => {
    await driver.goto(`${APP}?lang=de`);
    await P.waitTopCard(driver);
    const texts = await driver.eval(() => ({
      lang: document.documentElement.lang,
      photo: document.querySelector('div.recsCardboard__cards div[role="img"]').getAttribute('aria-label'),
      gamepad: [...document.querySelectorAll('div.gamepad button[type="button"]')].map((b) => b.textContent.replace(/[^A-Z ]/g, '').trim()),
    }));
    assert(texts.lang === 'de' && /^Foto 1 von/.test(texts.photo), `German page texts: ${JSON.stringify(texts)}`);
    assert(texts.gamepad.includes('LIKE') && texts.gamepad.includes('NOPE'), `gamepad texts in German: ${texts.gamepad}`);
    await driver.eval(() => localStorage.setItem('TinderWeb/APIToken', 'expired-token'));
    const since = (await mock.state()).calls.slice(-1)[0].seq;
    await driver.goto(APP);
    await P.waitLocate(driver, 'button[data-testid="login"]', { what: 'the login page after a 401' });
    const calls = await mock.calls(since);
    assert(calls.some((x) => x.status === 401 && x.auth === 'invalid'), 'no 401 for the stale token in the mock log');
  });

  await c('input modes: `?input=lock` ignores presses for 0.3 s after a swipe; `?input=nokeys` ignores synthetic keys but not clicks', async () => {
    await mock.config({ match_every: 0, likes_limit: 100000 });
    const lastSeq = async () => (await mock.state()).calls.slice(-1)[0].seq;
    // lock: a second press 150 ms after a swipe (the next card already shown) is dropped.
    await driver.goto(`${APP}?autologin=1&input=lock`);
    await P.waitTopCard(driver);
    await sleep(500);
    let since = await lastSeq();
    await driver.press('ArrowLeft');
    await sleep(150);
    const shown = await P.waitTopCard(driver);
    await driver.press('ArrowLeft');
    await sleep(700);
    let calls = swipeCalls(await mock.calls(since));
    assert(calls.length === 1, `lock: ${calls.length} pass calls for a press and a second press 150 ms later (expected 1)`);
    const still = await P.waitTopCard(driver);
    assert(still.id === shown.id, 'lock: the card after the first swipe was swiped by the ignored press');
    since = await lastSeq();
    await driver.press('ArrowLeft');
    await waitFor(async () => swipeCalls(await mock.calls(since)).length === 1, { timeout: 5000, what: 'lock: a press after the lock to swipe' });
    // nokeys: a script's KeyboardEvent does nothing, el.click() and a real key press swipe.
    await driver.goto(`${APP}?autologin=1&input=nokeys`);
    await P.waitTopCard(driver);
    await sleep(500);
    since = await lastSeq();
    await driver.eval(() => {
      for (const target of [document.activeElement || document.body, document.body, document]) {
        target.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', code: 'ArrowLeft', keyCode: 37, bubbles: true }));
      }
    });
    await sleep(700);
    calls = swipeCalls(await mock.calls(since));
    assert(calls.length === 0, `nokeys: synthetic key events swiped (${calls.length} calls)`);
    await driver.eval(() => document.querySelector('div.gamepad button.sparks-nope-default').click());
    await waitFor(async () => swipeCalls(await mock.calls(since)).length === 1, { timeout: 5000, what: 'nokeys: el.click() on NOPE to swipe' });
    await sleep(300);
    await driver.press('ArrowLeft');
    await waitFor(async () => swipeCalls(await mock.calls(since)).length === 2, { timeout: 5000, what: 'nokeys: a real key press to swipe' });
    await driver.goto(APP);
    await P.waitTopCard(driver);
  });

  await c('a swipe whose connection drops reaches the page as a failed request (no status)', async () => {
    await sleep(500);
    const since = (await mock.state()).calls.slice(-1)[0].seq;
    await mock.config({ fail_swipes: 1 });
    const card = await P.waitTopCard(driver);
    await P.clickSelector(driver, P.gamepadSelector('nope'));
    const failed = await waitFor(async () => (await mock.calls(since)).find((x) => x.kind === 'pass' && x.profile_id === card.id), { timeout: 5000, what: 'the pass call' });
    assert(failed.status === 0 && failed.failed && failed.applied === false, `the dropped call was logged as ${JSON.stringify(failed)}`);
    const errors = await waitFor(() => driver.eval(() => (document.querySelector('.toast') || {}).textContent || null), { timeout: 5000, what: 'the page\'s error toast' });
    assert((await mock.config()).fail_swipes === 0, 'fail_swipes did not count down');
    const tries = (await mock.calls(since)).filter((x) => x.profile_id === card.id);
    assert(tries.every((x) => x.status === 0), `a try of the dropped call got an answer: ${JSON.stringify(tries)}`);
    return `toast "${errors}"`;
  });

  await c('recs rate limit: HTTP 429 or 200, both with {"error":{"message":"RATE_LIMITED"}}', async () => {
    for (const [mode, status] of [[1, 429], [2, 200]]) {
      await mock.config({ recs_rate_limit: mode });
      const r = await mock.request('GET', 'api.gotinder.com', '/v2/recs/core?locale=en', undefined, { 'X-Auth-Token': mock.token });
      assert(r.status === status && r.json.error && r.json.error.message === 'RATE_LIMITED' && !r.json.data, `recs_rate_limit ${mode}: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
    }
    await mock.config({ recs_rate_limit: 0 });
    const ok = await mock.request('GET', 'api.gotinder.com', '/v2/recs/core?locale=en', undefined, { 'X-Auth-Token': mock.token });
    assert(ok.status === 200 && ok.json.data.results.length > 0, 'recs did not come back after the rate limit');
  });

  await c('the two matches lists: message=0 new matches, message=1 conversations', async () => {
    await mock.config({ conversations: 2 });
    const get = async (q) => (await mock.request('GET', 'api.gotinder.com', `/v2/matches?locale=en&count=60${q}&is_tinder_u=false`, undefined, { 'X-Auth-Token': mock.token })).json.data.matches;
    const [fresh, talks] = [await get('&message=0'), await get('&message=1')];
    assert(talks.length === 2 && talks.every((m) => m.messages.length > 0 && /^[0-9a-f]{24}$/.test(m.person._id)), `message=1: ${JSON.stringify(talks).slice(0, 300)}`);
    assert(fresh.length > 0 && fresh.every((m) => m.messages.length === 0), `message=0 (the matches made in this run): ${fresh.length}`);
    const ids = new Set(fresh.map((m) => m._id));
    assert(talks.every((m) => !ids.has(m._id)), 'a match is in both lists');
    await mock.config({ conversations: 0 });
    return `${fresh.length} new, ${talks.length} conversations`;
  });

  return ok;
}

module.exports = { mockChecks };
