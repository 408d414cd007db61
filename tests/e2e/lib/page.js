'use strict';
// What the tests read from and do to the mock page, the same way in both browsers. The
// functions passed to `driver.eval` run in the page and must be self-contained.

const { waitFor, assert, CheckError, sleep } = require('./util');

/** The top card as the user sees it (id only in the mock's debug mode). */
function topCard(driver) {
  return driver.eval(() => {
    const stack = document.querySelector('div.recsCardboard__cards');
    if (!stack) return null;
    // The mock's `?cards=unmarked` sets no aria-hidden: its top card has the class recCard--top.
    const unmarked = ![...stack.children].some((c) => c.hasAttribute('aria-hidden'));
    const tops = [...stack.children].filter((c) => (unmarked ? c.classList.contains('recCard--top') : c.getAttribute('aria-hidden') === 'false'));
    if (tops.length !== 1) return { error: `${tops.length} top cards (${unmarked ? 'class recCard--top' : 'aria-hidden="false"'})` };
    const top = tops[0];
    const text = (sel) => {
      const el = top.querySelector(sel);
      return el ? el.textContent.trim() : null;
    };
    const photos = [...top.querySelectorAll('div[role="img"]')].map((e) => {
      const m = /url\("?(.*?)"?\)/.exec(e.style.backgroundImage || '');
      return m ? m[1] : null;
    });
    const r = top.getBoundingClientRect();
    return {
      id: top.getAttribute('data-profile-id'), name: text('span[itemprop="name"]'), age: text('span[itemprop="age"]'),
      photos, cards: stack.children.length, rect: { x: r.x, y: r.y, w: r.width, h: r.height },
    };
  });
}

/** Waits for a top card (optionally one different from `notId`). */
async function waitTopCard(driver, { notId, timeout = 20000 } = {}) {
  let last = null;
  return waitFor(async () => {
    last = await topCard(driver);
    if (last && last.error) throw new CheckError(last.error);
    return last && last.name && (!notId || last.id !== notId) ? last : null;
  }, { timeout, what: () => `a top card${notId ? ` other than ${notId}` : ''} (last: ${JSON.stringify(last)})` });
}

// ----- Swipy's overlay ----------------------------------------------------------------------
// The overlay lives in a closed shadow root on a bare host element under <html> (outside the
// page's app tree); nothing of it is reachable from the page. Tests reach it the way browser
// automation can: the Chrome DevTools Protocol (Chromium) or WebDriver BiDi with
// `includeShadowTree: 'all'` (Firefox). Inside, elements are named by class: `.overlay`,
// `.badge`, `.badge-parts`, `.label-like`, `.label-nope`, `.status`, `.decision`, `.auto-status`.

async function chromiumShadowCall(driver, src, argJson) {
  if (!driver.swipyCdp) driver.swipyCdp = await driver.context.newCDPSession(driver.page);
  const cdp = driver.swipyCdp;
  const { root } = await cdp.send('DOM.getDocument', { depth: 3, pierce: true });
  const html = (root.children || []).find((n) => n.nodeName === 'HTML');
  const host = html && (html.children || []).find((n) => n.nodeName !== 'HEAD' && n.nodeName !== 'BODY' && (n.shadowRoots || []).length);
  if (!host) return null;
  const { object } = await cdp.send('DOM.resolveNode', { nodeId: host.shadowRoots[0].nodeId });
  const r = await cdp.send('Runtime.callFunctionOn', {
    objectId: object.objectId, functionDeclaration: `async function (argJson) { return JSON.stringify(await (${src})(this, JSON.parse(argJson))); }`,
    arguments: [{ value: argJson }], returnByValue: true, awaitPromise: true,
  });
  await cdp.send('Runtime.releaseObject', { objectId: object.objectId }).catch(() => {});
  if (r.exceptionDetails) throw new CheckError(`overlay script failed: ${r.exceptionDetails.text} ${JSON.stringify(r.exceptionDetails.exception || {}).slice(0, 300)}`);
  return r.result && typeof r.result.value === 'string' ? JSON.parse(r.result.value) : null;
}

async function firefoxShadowCall(driver, src, argJson) {
  const tree = await driver.bidi.send('browsingContext.getTree', {});
  const context = tree.contexts[0].context;
  const found = await driver.bidi.send('script.callFunction', {
    functionDeclaration: '() => [...document.documentElement.children].find((e) => e !== document.head && e !== document.body) || null',
    awaitPromise: false, target: { context }, resultOwnership: 'none',
    serializationOptions: { includeShadowTree: 'all', maxDomDepth: 1 },
  });
  const host = found.result;
  const shadowRoot = host && host.type === 'node' && host.value && host.value.shadowRoot;
  if (!shadowRoot || !shadowRoot.sharedId) return null;
  const r = await driver.bidi.send('script.callFunction', {
    functionDeclaration: `async function (root, argJson) { return JSON.stringify(await (${src})(root, JSON.parse(argJson))); }`,
    arguments: [{ sharedId: shadowRoot.sharedId }, { type: 'string', value: argJson }],
    awaitPromise: true, target: { context }, resultOwnership: 'none',
  });
  if (r.type === 'exception') throw new CheckError(`overlay script failed: ${JSON.stringify(r.exceptionDetails || {}).slice(0, 300)}`);
  return r.result && r.result.type === 'string' ? JSON.parse(r.result.value) : null;
}

/** Runs `fn(shadowRoot, arg)` on Swipy's overlay root in the page; null when there is none. */
function overlayEval(driver, fn, arg) {
  const argJson = JSON.stringify(arg === undefined ? null : arg);
  return driver.name === 'firefox' ? firefoxShadowCall(driver, fn.toString(), argJson) : chromiumShadowCall(driver, fn.toString(), argJson);
}

/**
 * What the overlay shows, read from its elements: {id, state, label, host, status, rect (of the
 * host, which lies over the top card), shown, badge: {...}, parts, decision, auto} or null.
 */
function overlay(driver) {
  return overlayEval(driver, (root) => {
    const o = root.querySelector('.overlay');
    if (!o) return null;
    const host = root.host;
    const hr = host.getBoundingClientRect();
    const a = (el, n) => (el ? el.getAttribute(n) : null);
    const b = root.querySelector('.badge');
    const parts = root.querySelector('.badge-parts');
    const d = root.querySelector('.decision');
    const au = root.querySelector('.auto-status');
    const st = root.querySelector('.status');
    return {
      id: a(o, 'data-profile-id'), state: a(o, 'data-state'), label: a(o, 'data-label'), host: a(o, 'data-host'),
      status: st ? st.textContent : '', shown: host.isConnected && getComputedStyle(host).display !== 'none',
      rect: { x: hr.x, y: hr.y, w: hr.width, h: hr.height },
      badge: b && { state: a(b, 'data-state'), p: a(b, 'data-p-like'), version: a(b, 'data-model-version'), id: a(b, 'data-profile-id'), text: b.textContent.trim(), title: a(b, 'title') || '' },
      parts: parts && { photo: a(parts, 'data-photo'), face: a(parts, 'data-face'), text: a(parts, 'data-text'), meta: a(parts, 'data-meta') },
      decision: d && !d.hidden && a(d, 'data-verdict') ? { verdict: a(d, 'data-verdict'), score: a(d, 'data-score'), dry: a(d, 'data-dry-run'), text: d.textContent.trim() } : null,
      auto: au && { state: a(au, 'data-state'), text: au.textContent.trim(), hidden: au.hidden },
    };
  });
}

/** Center of the visible overlay element of class `cls` (like `locate`), or null. */
function overlayLocate(driver, cls) {
  return overlayEval(driver, (root, c) => {
    if (!root.host.isConnected || getComputedStyle(root.host).display === 'none') return null;
    const el = root.querySelector('.' + c);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    if (r.width < 1 || r.height < 1 || st.visibility === 'hidden' || st.display === 'none' || Number(st.opacity) === 0) return null;
    return { x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height, text: (el.textContent || '').trim().slice(0, 60), disabled: Boolean(el.disabled) };
  }, cls);
}

/** `[data-swipy="NAME"]` names the overlay element of class NAME (in its closed shadow root). */
function overlayClass(selector) {
  const m = /^\[data-swipy="([\w-]+)"\]$/.exec(selector);
  return m ? m[1] : null;
}

/**
 * Center of the first visible element matching `selector`, searching open shadow roots too;
 * null when none. `[data-swipy="NAME"]` is Swipy's overlay element NAME (see `overlayClass`).
 */
function locate(driver, selector) {
  const cls = overlayClass(selector);
  if (cls) return overlayLocate(driver, cls);
  return driver.eval(({ sel }) => {
    const found = [];
    const walk = (rootNode) => {
      for (const el of rootNode.querySelectorAll(sel)) found.push(el);
      for (const el of rootNode.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    for (const el of found) {
      const r = el.getBoundingClientRect();
      const st = getComputedStyle(el);
      if (r.width < 1 || r.height < 1 || st.visibility === 'hidden' || st.display === 'none' || Number(st.opacity) === 0) continue;
      return { x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height, text: (el.textContent || '').trim().slice(0, 60), disabled: Boolean(el.disabled) };
    }
    return null;
  }, { sel: selector });
}

async function waitLocate(driver, selector, { timeout = 15000, what, enabled = false } = {}) {
  let last = null;
  return waitFor(async () => {
    last = await locate(driver, selector);
    return last && (!enabled || !last.disabled) ? last : null;
  }, { timeout, what: () => `${what || `a visible ${selector}`}${last && last.disabled ? ' to be enabled (it stays disabled)' : ''}` });
}

/** Clicks the visible, enabled element matching `selector` with a real (trusted) mouse click. */
async function clickSelector(driver, selector, opts = {}) {
  const at = await waitLocate(driver, selector, { ...opts, enabled: true });
  await driver.click(at.x, at.y);
  return at;
}

/**
 * The gamepad button of a kind: nope | superlike | like, by the `sparks-<kind>-default` class
 * the real app has (its buttons have no aria-label).
 */
function gamepadSelector(kind) {
  return `div.gamepad button[type="button"].sparks-${kind === 'superlike' ? 'super-like' : kind}-default`;
}

/**
 * The open dialog as a user tells it: {kind: 'match'|'out-of-likes'|null, text}, or null. The
 * page marks nothing; the kind is read from the heading in any of the mock's languages.
 */
function dialog(driver) {
  return driver.eval(() => {
    const d = document.querySelector('[role="dialog"]');
    if (!d) return null;
    const head = d.querySelector('h1, h2, h3');
    const title = head ? head.textContent : '';
    const kind = /\bmatch\b/i.test(title) ? 'match' : /\blikes\b/i.test(title) ? 'out-of-likes' : null;
    return { kind, text: d.textContent.trim().slice(0, 200) };
  });
}

/** Closes an open dialog with its button; waits until it is gone. */
async function closeDialog(driver) {
  await clickSelector(driver, '[role="dialog"] button[type="button"]');
  await waitFor(async () => !(await dialog(driver)), { timeout: 5000, what: 'the dialog to close' });
}

/** Loads `url` in the page (as <img>): resolves {url, ok, w, h}. */
function loadImages(driver, urls) {
  return driver.eval(async ({ list }) => Promise.all(list.map((u) => new Promise((resolve) => {
    const img = new Image();
    const t = setTimeout(() => resolve({ url: u, ok: false, why: 'timeout' }), 15000);
    img.onload = () => { clearTimeout(t); resolve({ url: u, ok: true, w: img.naturalWidth, h: img.naturalHeight }); };
    img.onerror = () => { clearTimeout(t); resolve({ url: u, ok: false, why: 'error' }); };
    img.src = u;
  }))), { list: urls });
}

/**
 * Swipes the top card with `how` ('gamepad:like', 'key:ArrowLeft', ...) and waits until the
 * mock saw the page's call for that card. Returns {id, name, kind}.
 */
async function swipeTop(driver, mock, how, { expectKind } = {}) {
  const card = await waitTopCard(driver);
  assert(card.id, 'the top card has no data-profile-id: the mock must run with --debug');
  const before = (await mock.state()).calls;
  const since = before.length ? before[before.length - 1].seq : 0;
  const [type, what] = how.split(':');
  if (type === 'gamepad') await clickSelector(driver, gamepadSelector(what));
  else if (type === 'key') await driver.press(what);
  else throw new Error(`unknown swipe ${how}`);
  const kind = expectKind || { like: 'like', nope: 'pass', superlike: 'super', ArrowRight: 'like', ArrowLeft: 'pass', ArrowUp: 'super' }[what];
  const call = await waitFor(async () => (await mock.calls(since)).find((c) => c.kind === kind && c.profile_id === card.id && c.status === 200), {
    timeout: 10000, what: `the page's ${kind} call for ${card.name} (${card.id}) after ${how}`,
  });
  // Let the stack settle (animation, next card rendered).
  await waitFor(async () => {
    const t = await topCard(driver);
    return !t || !t.id || t.id !== card.id || call.applied === false;
  }, { timeout: 5000, what: `the card of ${card.name} to leave the stack` }).catch(() => {});
  await sleep(50);
  return { id: card.id, name: card.name, kind, applied: call.applied !== false, call };
}

module.exports = { topCard, waitTopCard, locate, waitLocate, clickSelector, gamepadSelector, dialog, closeDialog, loadImages, swipeTop, overlay, overlayEval, overlayLocate };
