// Swipy content script (isolated world, document_start, tinder.com only).
// A thin view: forwards what hook.js observed to the worker, reports the top card's
// name/age, and draws Swipy's overlay (Like / Nope label buttons, score badge) on the top
// card. All decisions are made in the worker. Plain JS on purpose: a page's CSP can
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
  let overlay = null;
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
    const replay = again ? history.slice() : [];
    connectedOnce = true;
    // A restarted worker (and the host process it starts) knows no token: give it again.
    if (again && lastToken) raw({ kind: 'token', token: lastToken });
    for (const m of replay) raw(m);
    for (const m of buffer.splice(0)) raw(m);
    if (card) raw({ kind: 'card', card: { name: card.name, age: card.age } });
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

  function remember(msg) {
    history.push(msg);
    let recs = history.filter((m) => m.kind === 'recs').length;
    while (history.length > 400 || recs > 8) {
      const gone = history.shift();
      if (gone.kind === 'recs') recs -= 1;
    }
  }

  // ----- messages from hook.js (untrusted: the page can post the same shape) -----
  window.addEventListener('message', (ev) => {
    if (ev.source !== window || ev.origin !== location.origin) return;
    const d = ev.data;
    if (!d || typeof d !== 'object' || d.__swipy !== 1 || typeof d.kind !== 'string') return;
    let msg = null;
    if (d.kind === 'token' && typeof d.token === 'string') {
      msg = { kind: 'token', token: d.token };
    } else if (d.kind === 'recs' && d.body && typeof d.body === 'object' && typeof d.at_ms === 'number') {
      msg = { kind: 'recs', body: d.body, at_ms: d.at_ms };
    } else if (d.kind === 'swipe' && typeof d.profile_id === 'string' && typeof d.verdict === 'string' && typeof d.at_ms === 'number') {
      msg = {
        kind: 'swipe',
        profile_id: d.profile_id,
        verdict: d.verdict,
        at_ms: d.at_ms,
        status: typeof d.status === 'number' ? d.status : null,
        response: d.response && typeof d.response === 'object' ? d.response : null,
      };
    }
    if (!msg) return;
    if (msg.kind === 'token') lastToken = msg.token; // memory only, like the page's own copy
    else remember(msg);
    send(msg);
  });

  // ----- the top card -----
  function findTopCard() {
    const root = document.querySelector('.recsCardboard__cards') || document;
    for (const el of root.querySelectorAll('[aria-hidden="false"]')) {
      if (el.closest('[aria-hidden="true"]') || el.closest('[data-swipy]')) continue;
      const nameEl = el.querySelector('[itemprop="name"]');
      if (!nameEl) continue;
      const name = (nameEl.textContent || '').trim();
      if (!name) continue;
      const ageEl = el.querySelector('[itemprop="age"]');
      const n = ageEl ? parseInt((ageEl.textContent || '').trim(), 10) : NaN;
      return { el, name, age: Number.isFinite(n) ? n : null };
    }
    return null;
  }

  function check() {
    const top = findTopCard();
    const same = top && card && top.el === card.el && top.name === card.name && top.age === card.age;
    if (same) {
      if (overlay && !overlay.isConnected) attach();
      return;
    }
    const sameFacts = top && card && top.name === card.name && top.age === card.age;
    card = top;
    if (!sameFacts) info = null; // same person re-rendered: keep showing what we know
    if (overlay) { overlay.remove(); overlay = null; }
    if (card) attach();
    send({ kind: 'card', card: card ? { name: card.name, age: card.age } : null });
  }

  let pending = null;
  function schedule() {
    if (pending) return;
    pending = setTimeout(() => { pending = null; check(); }, 30);
  }

  // ----- overlay -----
  function stop(ev) { ev.stopPropagation(); }

  function button(kind, text, verdict) {
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('data-swipy', kind);
    b.textContent = text;
    b.disabled = true;
    b.title = 'Record "' + verdict + '" for this profile without swiping';
    for (const t of ['pointerdown', 'pointerup', 'mousedown', 'mouseup', 'touchstart', 'touchend', 'dblclick']) b.addEventListener(t, stop);
    b.addEventListener('click', (ev) => {
      ev.stopPropagation();
      ev.preventDefault();
      b.blur();
      if (!card) return;
      overlay.setAttribute('data-swipy-state', 'pending');
      status('saving…');
      send({ kind: 'label', verdict, card: { name: card.name, age: card.age } });
    });
    return b;
  }

  function status(text) {
    const s = overlay && overlay.querySelector('[data-swipy="status"]');
    if (s) s.textContent = text;
  }

  function attach() {
    if (!card) return;
    if (!overlay) {
      overlay = document.createElement('div');
      overlay.setAttribute('data-swipy', 'overlay');
      overlay.setAttribute('data-swipy-state', 'unknown');
      const badge = document.createElement('span');
      badge.setAttribute('data-swipy', 'badge');
      badge.setAttribute('data-swipy-badge-state', 'unknown');
      badge.textContent = '?';
      const st = document.createElement('span');
      st.setAttribute('data-swipy', 'status');
      overlay.append(badge, button('label-nope', '✕ Nope', 'nope'), button('label-like', '♥ Like', 'like'), st);
      overlay.addEventListener('click', stop);
    }
    if (getComputedStyle(card.el).position === 'static') card.el.style.position = 'relative';
    card.el.appendChild(overlay);
    if (info) render();
  }

  function render() {
    if (!overlay || !info) return;
    const known = typeof info.profile_id === 'string';
    if (known) overlay.setAttribute('data-swipy-profile-id', info.profile_id);
    else overlay.removeAttribute('data-swipy-profile-id');
    overlay.setAttribute('data-swipy-host', info.host_connected ? 'connected' : 'disconnected');
    for (const b of overlay.querySelectorAll('button')) b.disabled = !known;
    const badge = overlay.querySelector('[data-swipy="badge"]');
    const bv = info.badge || {};
    badge.textContent = bv.text || '?';
    badge.title = bv.title || '';
    badge.setAttribute('data-swipy-badge-state', bv.state || 'unknown');
    if (typeof bv.p_like === 'number') badge.setAttribute('data-swipy-p-like', String(bv.p_like));
    else badge.removeAttribute('data-swipy-p-like');
    const like = overlay.querySelector('[data-swipy="label-like"]');
    const nope = overlay.querySelector('[data-swipy="label-nope"]');
    const l = info.label;
    like.setAttribute('aria-pressed', String(!!l && l.verdict !== 'nope'));
    nope.setAttribute('aria-pressed', String(!!l && l.verdict === 'nope'));
    if (l) {
      overlay.setAttribute('data-swipy-state', l.state === 'saved' ? 'saved' : 'pending');
      overlay.setAttribute('data-swipy-label', l.verdict);
      status(l.state === 'saved' ? 'saved ✓ ' + l.verdict : 'waiting for Swipy…');
    } else {
      overlay.setAttribute('data-swipy-state', known ? 'idle' : 'unknown');
      overlay.removeAttribute('data-swipy-label');
      status(known ? '' : 'not recognised yet');
    }
  }

  function onWorker(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (msg.kind === 'card_info') {
      if (!card || msg.name !== card.name || (msg.age ?? null) !== card.age) return; // stale
      info = msg;
      render();
    } else if (msg.kind === 'label_refused') {
      if (overlay) overlay.setAttribute('data-swipy-state', 'error');
      status(String(msg.message || 'not saved'));
    }
  }

  // ----- start -----
  connect();
  const obs = new MutationObserver((muts) => {
    for (const m of muts) {
      const t = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (!t || !t.closest('[data-swipy]')) { schedule(); return; }
    }
  });
  obs.observe(document.documentElement, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['aria-hidden'] });
  schedule();
})();
