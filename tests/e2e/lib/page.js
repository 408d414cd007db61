'use strict';
// What the tests read from and do to the mock page, the same way in both browsers. The
// functions passed to `driver.eval` run in the page and must be self-contained.

const { waitFor, assert, CheckError, sleep } = require('./util');

/** The top card as the user sees it (id only in the mock's debug mode). */
function topCard(driver) {
  return driver.eval(() => {
    const stack = document.querySelector('div.recsCardboard__cards');
    if (!stack) return null;
    const tops = [...stack.children].filter((c) => c.getAttribute('aria-hidden') === 'false');
    if (tops.length !== 1) return { error: `${tops.length} cards with aria-hidden="false"` };
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

/**
 * Center of the first visible element matching `selector`, searching open shadow roots too;
 * null when none. With `within: 'top-card'` the element must overlap the top card.
 */
function locate(driver, selector) {
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

module.exports = { topCard, waitTopCard, locate, waitLocate, clickSelector, gamepadSelector, dialog, closeDialog, loadImages, swipeTop };
