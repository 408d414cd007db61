// Swipy content script (isolated world, document_start, tinder.com only).
// A thin view: forwards what hook.js observed to the worker, reports the top card's
// name/age and structural summaries of the page's dialogs and gamepad, and draws Swipy's
// overlay (Like / Nope label buttons, score badge) over the top card in a closed shadow
// root. All decisions are made in the worker. Plain JS on purpose: a page's CSP can
// forbid WebAssembly in content scripts.
(() => {
  'use strict';
  const api = globalThis.chrome;
  if (!api || !api.runtime || !api.runtime.connect) return;

  let port = null;
  let connectedOnce = false;
  const buffer = [];
  // Recent recs pages and swipes, replayed when the worker restarts so it can map cards
  // again (replays are harmless: every entry has an idempotency key).
  const history = [];
  let card = null; // {el, name, age}
  let info = null; // last card_info from the worker for the current card
  let lastToken = null;

  // ----- worker port -----
  function connect() {
    if (!api.runtime.id) return; // extension reloaded or removed: this script is orphaned
    try {
      port = api.runtime.connect({ name: 'tab' });
    } catch (_) {
      port = null;
      return;
    }
    port.onMessage.addListener(onWorker);
    port.onDisconnect.addListener(() => {
      port = null;
      setTimeout(connect, 1000);
    });
    const again = connectedOnce;
    const replay = again ? history.map((h) => h[0]) : [];
    connectedOnce = true;
    // A restarted worker (and the host process it starts) knows no token: give it again.
    if (again && lastToken) raw({ kind: 'token', token: lastToken });
    for (const m of replay) raw(m);
    for (const m of buffer.splice(0)) raw(m);
    if (card) raw({ kind: 'card', card: { name: card.name, age: card.age } });
    raw({ kind: 'visibility', visible: document.visibilityState !== 'hidden' });
    // The dialogs and gamepad as they are now (a restarted worker knows neither).
    lastDialogs = '';
    lastGamepad = '';
    if (document.body) reportPage();
  }

  function raw(msg) {
    if (!port) return false;
    try { port.postMessage(msg); return true; } catch (_) { return false; }
  }

  function send(msg) {
    if (!raw(msg)) {
      buffer.push(msg);
      if (buffer.length > 300) buffer.shift();
    }
  }

  // The replay history is bounded by bytes (answers are ~100 KB each), not by counts.
  const HISTORY_MAX_CHARS = 8 * 1024 * 1024;
  let historyChars = 0;
  function remember(msg) {
    let size = 200;
    if (msg.body) {
      try { size += JSON.stringify(msg.body).length; } catch (_) { return; }
    }
    if (size > HISTORY_MAX_CHARS) return;
    history.push([msg, size]);
    historyChars += size;
    while (history.length > 400 || historyChars > HISTORY_MAX_CHARS) historyChars -= history.shift()[1];
  }

  // ----- the private channel from hook.js (see hook.js) -----
  // Created here, handed to the hook once at document_start, before any page script runs;
  // the page can neither read it nor post on it. What arrives is still checked for shape.
  const OFFER = 'swipy-channel-offer';
  const READY = 'swipy-channel-ready';
  const channel = new MessageChannel();
  let hookLinked = false;
  function offer() {
    if (hookLinked) return;
    // The hook cancels the offer it accepts: from then on nobody else is offered the port.
    const taken = !window.dispatchEvent(new MessageEvent(OFFER, { ports: [channel.port2], cancelable: true }));
    if (taken) {
      hookLinked = true;
      window.removeEventListener(READY, offer, true);
    }
  }
  window.addEventListener(READY, offer, true);
  offer();

  const ANSWER_KINDS = new Set(['recs', 'matches', 'profile']);
  channel.port1.onmessage = (ev) => {
    const d = ev.data;
    if (!d || typeof d !== 'object' || typeof d.kind !== 'string') return;
    let msg = null;
    if (d.kind === 'token' && typeof d.token === 'string') {
      msg = { kind: 'token', token: d.token };
    } else if (ANSWER_KINDS.has(d.kind) && typeof d.at_ms === 'number' && ((d.body && typeof d.body === 'object') ||
      (d.kind === 'recs' && typeof d.status === 'number' && !(d.status >= 200 && d.status < 300)))) {
      // A recs answer with an error status (429: Tinder rate-limits) may have no JSON body.
      msg = { kind: d.kind, body: d.body && typeof d.body === 'object' ? d.body : null, at_ms: d.at_ms };
      if (typeof d.status === 'number') msg.status = d.status;
    } else if (d.kind === 'auth_lost') {
      msg = { kind: 'auth_lost' };
    } else if (d.kind === 'swipe' && typeof d.profile_id === 'string' && typeof d.verdict === 'string' && typeof d.at_ms === 'number') {
      msg = {
        kind: 'swipe',
        profile_id: d.profile_id,
        verdict: d.verdict,
        at_ms: d.at_ms,
        status: typeof d.status === 'number' ? d.status : null,
        failed: d.failed === true,
        response: d.response && typeof d.response === 'object' ? d.response : null,
      };
    }
    if (!msg) return;
    if (msg.kind === 'token') lastToken = msg.token; // memory only, like the page's own copy
    else if (msg.kind !== 'auth_lost') remember(msg);
    send(msg);
  };

  // ----- the top card -----
  function findTopCard() {
    const root = document.querySelector('.recsCardboard__cards') || document;
    for (const el of root.querySelectorAll('[aria-hidden="false"]')) {
      if (el.closest('[aria-hidden="true"]')) continue;
      const nameEl = el.querySelector('[itemprop="name"]');
      if (!nameEl) continue;
      const name = (nameEl.textContent || '').trim();
      if (!name) continue;
      return { el, name, age: ageOf(el) };
    }
    // No card marked aria-hidden="false" (a page that marks only the cards below, or none):
    // the card whose name is really on top where it is drawn.
    for (const nameEl of root.querySelectorAll('[itemprop="name"]')) {
      if (nameEl.closest('[aria-hidden="true"]') || !shown(nameEl)) continue;
      const name = (nameEl.textContent || '').trim();
      const el = cardOf(nameEl, root);
      const r = nameEl.getBoundingClientRect();
      if (!name || !el || !r.width || !r.height) continue;
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (hit && el.contains(hit)) return { el, name, age: ageOf(el) };
    }
    return null;
  }

  function ageOf(card) {
    const ageEl = card.querySelector('[itemprop="age"]');
    const n = ageEl ? parseInt((ageEl.textContent || '').trim(), 10) : NaN;
    return Number.isFinite(n) ? n : null;
  }

  // The card a name belongs to: the stack's child holding it, else its nearest ancestor
  // that holds a photo.
  function cardOf(nameEl, root) {
    if (root !== document) {
      for (let el = nameEl; el && el !== root; el = el.parentElement) if (el.parentElement === root) return el;
      return null;
    }
    for (let el = nameEl.parentElement; el && el !== document.body; el = el.parentElement) {
      if (el.querySelector('[role="img"], img')) return el;
    }
    return null;
  }

  // ----- what the page shows: dialogs and the gamepad, as structural summaries -----
  // The worker classifies them (extension/src/logic/dialogs.rs); nothing here decides.
  const DIALOG_SEL = '[role="dialog"], [role="alertdialog"], [aria-modal="true"]';
  function shown(el) {
    if (!el || !el.isConnected) return false;
    if (typeof el.checkVisibility === 'function' && !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden' || Number(st.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width >= 2 && r.height >= 2;
  }
  function words(el) {
    return String(el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim().toLowerCase().slice(0, 200);
  }
  function summary(el, role) {
    const titles = [];
    for (const t of el.querySelectorAll('[title]')) {
      if (titles.length >= 8) break;
      titles.push(String(t.getAttribute('title')).toLowerCase().slice(0, 200));
    }
    return {
      role, text: words(el), buttons: el.querySelectorAll('button, [role="button"]').length, titles,
      frames: el.querySelectorAll('iframe').length,
      inputs: el.querySelectorAll('textarea, input[type="text"], input:not([type])').length,
      images: el.querySelectorAll('img, [role="img"]').length,
    };
  }
  function roleOf(el) {
    const r = el.getAttribute('role');
    return r === 'dialog' || r === 'alertdialog' ? r : 'modal';
  }
  function visibleDialogs() {
    const out = [];
    const seen = [];
    for (const d of document.querySelectorAll(DIALOG_SEL)) {
      if (seen.some((s) => s.contains(d)) || !shown(d)) continue;
      seen.push(d);
      out.push(summary(d, roleOf(d)));
    }
    // Portals: visible children of body outside the app root (the one holding the cards),
    // that are not live regions (toasts) and hold a button or cover much of the window.
    const stack = document.querySelector('.recsCardboard__cards');
    const big = window.innerWidth * window.innerHeight * 0.25;
    // (Without the card stack there is no app to stand next to: nothing to swipe anyway.)
    for (const c of document.body && stack ? document.body.children : []) {
      if (c === hostEl || /^(SCRIPT|STYLE|LINK|TEMPLATE|NOSCRIPT)$/.test(c.tagName)) continue;
      if ((stack && c.contains(stack)) || seen.some((s) => c.contains(s) || s.contains(c))) continue;
      if (/^(status|alert|log|tooltip|marquee|timer)$/.test(c.getAttribute('role') || '')) continue;
      // A portal's own box may be empty while its fixed-position layer covers the window.
      const layers = [c, ...c.children, ...[...c.children].flatMap((x) => [...x.children])].slice(0, 30);
      const layer = layers.find((x) => {
        if (!shown(x)) return false;
        const r = x.getBoundingClientRect();
        const buttons = x.querySelectorAll('button, [role="button"]').length;
        return (buttons || r.width * r.height >= big) && (buttons || words(x));
      });
      if (!layer) continue;
      seen.push(c);
      out.push(summary(layer, 'portal'));
    }
    // Frames outside them (a challenge shows as a frame).
    for (const f of document.querySelectorAll('iframe')) {
      if (seen.some((s) => s.contains(f)) || !shown(f)) continue;
      const s = summary(f, 'frame');
      s.titles = [String(f.getAttribute('title') || '').toLowerCase(), String(f.getAttribute('src') || '').toLowerCase()].map((t) => t.slice(0, 200));
      out.push(s);
    }
    return out.slice(0, 8);
  }
  // A button's text, hidden text included, icons (aria-hidden) left out: LIKE, NOPE, ...
  function buttonText(b) {
    let t = '';
    const walk = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const p = n.parentElement;
      if (p && p !== b && p.closest('[aria-hidden="true"]') && b.contains(p.closest('[aria-hidden="true"]'))) continue;
      t += n.nodeValue;
    }
    return t.replace(/\s+/g, ' ').trim().slice(0, 40);
  }
  // The buttons of the page outside the cards and dialogs, each with its place among the
  // buttons of the nearest element holding several (the gamepad).
  function gamepadButtons() {
    const stack = document.querySelector('.recsCardboard__cards');
    const list = [];
    for (const b of document.querySelectorAll('button')) {
      if (list.length >= 40) break;
      if ((stack && stack.contains(b)) || b.closest(DIALOG_SEL) || b.closest('[aria-hidden="true"]') || !shown(b)) continue;
      list.push(b);
    }
    const groups = [];
    return list.map((b) => {
      let g = b.parentElement;
      for (let i = 0; g && i < 6 && g.querySelectorAll('button').length < 2; i++) g = g.parentElement;
      const members = g ? [...g.querySelectorAll('button')].filter((x) => list.includes(x)) : [b];
      let gi = groups.indexOf(g);
      if (gi < 0) { groups.push(g); gi = groups.length - 1; }
      return {
        el: b, text: buttonText(b),
        class: String(b.getAttribute('class') || '').slice(0, 200), group: gi, index: members.indexOf(b), of: members.length,
      };
    });
  }
  let lastDialogs = '[]';
  let lastGamepad = '';
  function reportPage() {
    const d = visibleDialogs();
    const dj = JSON.stringify(d);
    if (dj !== lastDialogs) {
      lastDialogs = dj;
      send({ kind: 'dialogs', dialogs: d });
    }
    const g = gamepadButtons().map(({ el, ...facts }) => facts);
    const gj = JSON.stringify(g);
    if (gj !== lastGamepad) {
      lastGamepad = gj;
      send({ kind: 'gamepad', buttons: g });
    }
    // The page's dialog is on top of everything: Swipy's overlay steps aside.
    if (hostEl) hostEl.style.display = d.some((x) => x.role !== 'frame') ? 'none' : '';
  }
  document.addEventListener('visibilitychange', () => {
    send({ kind: 'visibility', visible: document.visibilityState !== 'hidden' });
  });

  // ----- auto-swipe presses (only on the profile the worker expects) -----
  const KEYCODES = { ArrowLeft: 37, ArrowUp: 38, ArrowRight: 39 };
  function press(msg) {
    if (typeof msg.key !== 'string' || !(msg.key in KEYCODES)) return;
    const top = findTopCard();
    const ok = top && card && info && top.el === card.el && top.name === card.name &&
      info.profile_id === msg.profile_id && info.name === card.name;
    if (!ok) return; // the worker's confirmation timeout stops auto-swipe
    if (msg.click && typeof msg.click === 'object') {
      // The one retry: the card's own button, as the worker picked it from the last report.
      const b = gamepadButtons()[msg.click.index];
      if (!b || b.text !== msg.click.text || b.class !== msg.click.class || b.el.disabled) return;
      const r = b.el.getBoundingClientRect();
      const at = { bubbles: true, cancelable: true, composed: true, view: window, clientX: r.x + r.width / 2, clientY: r.y + r.height / 2, button: 0 };
      b.el.dispatchEvent(new PointerEvent('pointerdown', { ...at, pointerType: 'mouse', isPrimary: true }));
      b.el.dispatchEvent(new MouseEvent('mousedown', at));
      b.el.dispatchEvent(new PointerEvent('pointerup', { ...at, pointerType: 'mouse', isPrimary: true }));
      b.el.dispatchEvent(new MouseEvent('mouseup', at));
      b.el.click();
      return;
    }
    // Where a real key press goes: the focused element, else body; it bubbles from there.
    let target = document.activeElement;
    if (!target || target === document.documentElement || target === hostEl) target = document.body;
    if (!target) return;
    const opts = { key: msg.key, code: msg.key, keyCode: KEYCODES[msg.key], which: KEYCODES[msg.key], bubbles: true, cancelable: true, composed: true, view: window };
    target.dispatchEvent(new KeyboardEvent('keydown', opts));
    target.dispatchEvent(new KeyboardEvent('keyup', opts));
  }

  function check() {
    reportPage();
    const top = findTopCard();
    const same = top && card && top.el === card.el && top.name === card.name && top.age === card.age;
    if (same) {
      place();
      return;
    }
    const sameFacts = top && card && top.name === card.name && top.age === card.age;
    card = top;
    if (!sameFacts) info = null; // same person re-rendered: keep showing what we know
    if (card) attach();
    else if (hostEl) hostEl.remove();
    send({ kind: 'card', card: card ? { name: card.name, age: card.age } : null });
  }

  let pending = null;
  function schedule() {
    if (pending) return;
    pending = setTimeout(() => { pending = null; check(); }, 30);
  }

  // ----- overlay: in a closed shadow root on a host outside the page's app tree -----
  // Nothing of Swipy's (attributes, scores, ids) is in the page's DOM: the host is a bare
  // element under <html>, laid over the top card; its contents are out of the page's reach.
  let hostEl = null;
  let shadow = null;
  const STYLE = `
:host { all: initial; }
.overlay { position: absolute; top: 20px; left: 50%; transform: translateX(-50%); display: flex; align-items: center; gap: 6px;
  padding: 4px 6px; border-radius: 999px; background: rgba(20, 20, 28, 0.72); color: #fff; font: 600 13px/1.2 system-ui, sans-serif;
  pointer-events: auto; white-space: nowrap; }
.overlay button { all: unset; cursor: pointer; padding: 4px 10px; border-radius: 999px; background: rgba(255, 255, 255, 0.14); color: #fff; }
.overlay button:disabled { opacity: 0.45; cursor: default; }
.label-like:not(:disabled):hover, .label-like[aria-pressed="true"] { background: #1fae6b; }
.label-nope:not(:disabled):hover, .label-nope[aria-pressed="true"] { background: #e4455a; }
.badge { min-width: 2.2em; text-align: center; padding: 3px 8px; border-radius: 999px; background: #5b4fe0; }
.badge[data-badge-state="offline"], .badge[data-badge-state="unknown"] { background: #666; }
.badge[data-state="learning"], .badge[data-state="scoring"] { background: #8a7d3a; font-weight: 400; }
.status { font-weight: 400; font-size: 12px; opacity: 0.9; }
.status:empty { display: none; }
.overlay[data-state="saved"] .status { color: #9ff0c6; }
.overlay[data-state="error"] .status { color: #ffb3bd; }
.notes { position: absolute; top: calc(100% + 4px); left: 50%; transform: translateX(-50%); width: max-content; max-width: 320px;
  display: flex; flex-direction: column; align-items: center; gap: 3px; white-space: normal; text-align: center; font-weight: 400;
  font-size: 12px; pointer-events: none; }
.notes > * { padding: 3px 8px; border-radius: 8px; background: rgba(20, 20, 28, 0.8); }
.notes > [hidden] { display: none; }
.badge-parts { display: none; }
.overlay:hover .badge-parts:not([hidden]) { display: block; }
.decision[data-verdict="like"] { color: #9ff0c6; }
.decision[data-verdict="nope"] { color: #ffb3bd; }
.auto-status[data-state="stopped"] { color: #ffd27a; }
`;
  function q(cls) { return shadow ? shadow.querySelector('.' + cls) : null; }
  function el(tag, cls) {
    const e = document.createElement(tag);
    e.className = cls;
    return e;
  }
  function stop(ev) { ev.stopPropagation(); }

  function button(cls, text, verdict) {
    const b = el('button', cls);
    b.type = 'button';
    b.textContent = text;
    b.disabled = true;
    b.title = 'Record "' + verdict + '" for this profile without swiping';
    for (const t of ['pointerdown', 'pointerup', 'mousedown', 'mouseup', 'touchstart', 'touchend', 'dblclick']) b.addEventListener(t, stop);
    b.addEventListener('click', (ev) => {
      ev.stopPropagation();
      ev.preventDefault();
      b.blur();
      // Only a real click labels: a page script's el.click() or dispatched event does not.
      if (!ev.isTrusted || !card) return;
      q('overlay').setAttribute('data-state', 'pending');
      status('saving…');
      send({ kind: 'label', verdict, card: { name: card.name, age: card.age } });
    });
    return b;
  }

  function status(text) {
    const s = q('status');
    if (s) s.textContent = text;
  }

  function build() {
    hostEl = document.createElement('div');
    hostEl.style.cssText = 'position: fixed; z-index: 2147483000; pointer-events: none; margin: 0; padding: 0; border: 0; left: 0; top: 0; width: 0; height: 0;';
    shadow = hostEl.attachShadow({ mode: 'closed' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    const overlay = el('div', 'overlay');
    overlay.setAttribute('data-state', 'unknown');
    const badge = el('span', 'badge');
    badge.setAttribute('data-badge-state', 'unknown');
    badge.setAttribute('data-state', 'unknown');
    badge.textContent = '?';
    const parts = el('span', 'badge-parts');
    const decision = el('span', 'decision');
    decision.hidden = true;
    const auto = el('span', 'auto-status');
    auto.setAttribute('data-state', 'off');
    auto.hidden = true;
    // Notes under the bar: the parts (on hover), the auto-swipe decision and state.
    const notes = el('div', 'notes');
    notes.append(parts, decision, auto);
    overlay.append(badge, button('label-nope', '✕ Nope', 'nope'), button('label-like', '♥ Like', 'like'), el('span', 'status'), notes);
    overlay.addEventListener('click', stop);
    shadow.append(style, overlay);
  }

  let lastRect = '';
  function place() {
    if (!hostEl || !card) return;
    if (!hostEl.isConnected) {
      document.documentElement.appendChild(hostEl);
      lastRect = '';
    }
    const r = card.el.getBoundingClientRect();
    const key = [r.left, r.top, r.width, r.height].map(Math.round).join(',');
    if (key === lastRect) return;
    lastRect = key;
    Object.assign(hostEl.style, { left: r.left + 'px', top: r.top + 'px', width: r.width + 'px', height: r.height + 'px' });
  }
  function follow() {
    place();
    requestAnimationFrame(follow);
  }

  function attach() {
    if (!card) return;
    if (!hostEl) {
      build();
      requestAnimationFrame(follow);
    }
    if (!info) {
      // A new card: nothing known yet.
      const o = q('overlay');
      o.setAttribute('data-state', 'unknown');
      o.removeAttribute('data-profile-id');
      for (const b of shadow.querySelectorAll('button')) b.disabled = true;
      const badge = q('badge');
      badge.textContent = '?';
      badge.setAttribute('data-state', 'unknown');
      badge.setAttribute('data-badge-state', 'unknown');
      for (const a of ['data-p-like', 'data-model-version', 'data-profile-id']) badge.removeAttribute(a);
      q('decision').hidden = true;
      status('');
    }
    place();
    if (info) render();
  }

  function render() {
    if (!shadow || !info) return;
    const overlay = q('overlay');
    const known = typeof info.profile_id === 'string';
    if (known) overlay.setAttribute('data-profile-id', info.profile_id);
    else overlay.removeAttribute('data-profile-id');
    overlay.setAttribute('data-host', info.host_connected ? 'connected' : 'disconnected');
    for (const b of shadow.querySelectorAll('button')) b.disabled = !known;
    const badge = q('badge');
    const bv = info.badge || {};
    badge.textContent = bv.text || '?';
    badge.title = bv.title || '';
    badge.setAttribute('data-badge-state', bv.state || 'unknown');
    badge.setAttribute('data-state', bv.state === 'score' ? 'ready' : (bv.state || 'unknown'));
    if (known) badge.setAttribute('data-profile-id', info.profile_id);
    else badge.removeAttribute('data-profile-id');
    const ready = typeof bv.p_like === 'number';
    if (ready) badge.setAttribute('data-p-like', String(bv.p_like));
    else badge.removeAttribute('data-p-like');
    const parts = q('badge-parts');
    const pv = ready && bv.parts ? bv.parts : null;
    const names = { photo: 'photo', face: 'face', text: 'bio', meta: 'meta' };
    const shownParts = [];
    for (const k of ['photo', 'face', 'text', 'meta']) {
      const v = pv ? pv[k] : null;
      if (typeof v === 'number') {
        parts.setAttribute('data-' + k, String(v));
        shownParts.push(names[k] + ' ' + Math.round(v * 100) + '%');
      } else {
        parts.removeAttribute('data-' + k);
        shownParts.push(names[k] + ' –');
      }
    }
    if (ready && typeof bv.model_version === 'number') {
      badge.setAttribute('data-model-version', String(bv.model_version));
      parts.setAttribute('data-model-version', String(bv.model_version));
      shownParts.push('model v' + bv.model_version);
    } else {
      badge.removeAttribute('data-model-version');
      parts.removeAttribute('data-model-version');
    }
    parts.textContent = pv ? shownParts.join(' · ') : '';
    parts.hidden = !pv;
    const dec = q('decision');
    const dv = info.decision;
    if (dv && typeof dv === 'object') {
      dec.hidden = false;
      dec.textContent = String(dv.text || '');
      dec.setAttribute('data-verdict', String(dv.verdict));
      dec.setAttribute('data-score', String(dv.score));
      dec.setAttribute('data-reason', String(dv.reason));
      dec.setAttribute('data-dry-run', String(!!dv.dry_run));
    } else {
      dec.hidden = true;
      dec.textContent = '';
      for (const a of ['data-verdict', 'data-score', 'data-reason', 'data-dry-run']) dec.removeAttribute(a);
    }
    const auto = q('auto-status');
    const av = info.auto || { state: 'off', message: '' };
    auto.setAttribute('data-state', String(av.state));
    auto.textContent = String(av.message || '');
    auto.hidden = av.state === 'off' || !av.message;
    const l = info.label;
    q('label-like').setAttribute('aria-pressed', String(!!l && l.verdict !== 'nope'));
    q('label-nope').setAttribute('aria-pressed', String(!!l && l.verdict === 'nope'));
    if (l) {
      overlay.setAttribute('data-state', l.state === 'saved' ? 'saved' : 'pending');
      overlay.setAttribute('data-label', l.verdict);
      status(l.state === 'saved' ? 'saved ✓ ' + l.verdict : 'waiting for Swipy…');
    } else {
      overlay.setAttribute('data-state', known ? 'idle' : 'unknown');
      overlay.removeAttribute('data-label');
      status(known ? '' : 'not recognised yet');
    }
  }

  function onWorker(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (msg.kind === 'card_info') {
      if (!card || msg.name !== card.name || (msg.age ?? null) !== card.age) return; // stale
      info = msg;
      render();
    } else if (msg.kind === 'press') {
      press(msg);
    } else if (msg.kind === 'label_refused') {
      const o = q('overlay');
      if (o) o.setAttribute('data-state', 'error');
      status(String(msg.message || 'not saved'));
    }
  }

  // ----- start -----
  connect();
  // Changes anywhere in the page (also an existing node shown by a style, class or hidden
  // change), except Swipy's own host.
  const obs = new MutationObserver((muts) => {
    for (const m of muts) {
      if (m.target !== hostEl) { schedule(); return; }
    }
  });
  obs.observe(document.documentElement, {
    childList: true, subtree: true, characterData: true, attributes: true,
    attributeFilter: ['aria-hidden', 'aria-modal', 'role', 'style', 'class', 'hidden', 'open'],
  });
  schedule();
})();
