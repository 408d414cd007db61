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
    const replay = again ? history.map((h) => h[0]) : [];
    connectedOnce = true;
    // A restarted worker (and the host process it starts) knows no token: give it again.
    if (again && lastToken) raw({ kind: 'token', token: lastToken });
    for (const m of replay) raw(m);
    for (const m of buffer.splice(0)) raw(m);
    if (card) raw({ kind: 'card', card: { name: card.name, age: card.age } });
    raw({ kind: 'visibility', visible: document.visibilityState !== 'hidden' });
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

  // ----- dialogs (classified by structure, never by localized text) -----
  const seenDialogs = new WeakSet();
  function dialogKind(d) {
    // A verification/captcha challenge is a frame (Arkose, reCAPTCHA, hCaptcha...).
    if (d.querySelector('iframe')) return 'captcha';
    // The mock site marks its dialogs; the real app's are told apart by shape below.
    if (d.querySelector('[data-dialog="match"]')) return 'match';
    if (d.querySelector('[data-dialog="out-of-likes"]')) return 'out_of_likes';
    if (d.querySelector('[data-dialog]')) return 'unknown';
    // A match dialog: the matched person's photo and a message box.
    const msgBox = d.querySelector('textarea, input[type="text"]');
    const photo = d.querySelector('[role="img"], img');
    if (msgBox && photo) return 'match';
    return 'unknown';
  }
  function checkDialogs() {
    for (const d of document.querySelectorAll('[role="dialog"], [role="alertdialog"]')) {
      if (seenDialogs.has(d) || d.closest('[data-swipy]')) continue;
      seenDialogs.add(d);
      send({ kind: 'dialog', dialog: dialogKind(d) });
    }
    // A challenge frame outside any dialog.
    for (const f of document.querySelectorAll('iframe')) {
      if (seenDialogs.has(f)) continue;
      const src = String(f.getAttribute('src') || '') + ' ' + String(f.getAttribute('title') || '');
      if (/arkose|captcha|challenge|funcaptcha|verif/i.test(src)) {
        seenDialogs.add(f);
        send({ kind: 'dialog', dialog: 'captcha' });
      }
    }
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
    const opts = { key: msg.key, code: msg.key, keyCode: KEYCODES[msg.key], which: KEYCODES[msg.key], bubbles: true, cancelable: true };
    if (document.activeElement && overlay && overlay.contains(document.activeElement)) document.activeElement.blur();
    document.dispatchEvent(new KeyboardEvent('keydown', opts));
    document.dispatchEvent(new KeyboardEvent('keyup', opts));
  }

  function check() {
    checkDialogs();
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
      badge.setAttribute('data-state', 'unknown');
      const parts = document.createElement('span');
      parts.setAttribute('data-swipy', 'badge-parts');
      const st = document.createElement('span');
      st.setAttribute('data-swipy', 'status');
      const decision = document.createElement('span');
      decision.setAttribute('data-swipy', 'decision');
      decision.hidden = true;
      const auto = document.createElement('span');
      auto.setAttribute('data-swipy', 'auto-status');
      auto.setAttribute('data-state', 'off');
      auto.hidden = true;
      // Notes under the bar: the parts (on hover), the auto-swipe decision and state.
      const notes = document.createElement('div');
      notes.setAttribute('data-swipy', 'notes');
      notes.append(parts, decision, auto);
      overlay.append(badge, button('label-nope', '✕ Nope', 'nope'), button('label-like', '♥ Like', 'like'), st, notes);
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
    badge.setAttribute('data-state', bv.state === 'score' ? 'ready' : (bv.state || 'unknown'));
    if (known) badge.setAttribute('data-profile-id', info.profile_id);
    else badge.removeAttribute('data-profile-id');
    const ready = typeof bv.p_like === 'number';
    for (const a of ['data-swipy-p-like', 'data-p-like']) {
      if (ready) badge.setAttribute(a, String(bv.p_like));
      else badge.removeAttribute(a);
    }
    const parts = overlay.querySelector('[data-swipy="badge-parts"]');
    const pv = ready && bv.parts ? bv.parts : null;
    const words = { photo: 'photo', face: 'face', text: 'bio', meta: 'meta' };
    const shown = [];
    for (const k of ['photo', 'face', 'text', 'meta']) {
      const v = pv ? pv[k] : null;
      if (typeof v === 'number') {
        parts.setAttribute('data-' + k, String(v));
        shown.push(words[k] + ' ' + Math.round(v * 100) + '%');
      } else {
        parts.removeAttribute('data-' + k);
        shown.push(words[k] + ' –');
      }
    }
    if (ready && typeof bv.model_version === 'number') {
      badge.setAttribute('data-model-version', String(bv.model_version));
      parts.setAttribute('data-model-version', String(bv.model_version));
      shown.push('model v' + bv.model_version);
    } else {
      badge.removeAttribute('data-model-version');
      parts.removeAttribute('data-model-version');
    }
    parts.textContent = pv ? shown.join(' · ') : '';
    parts.hidden = !pv;
    const dec = overlay.querySelector('[data-swipy="decision"]');
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
    const auto = overlay.querySelector('[data-swipy="auto-status"]');
    const av = info.auto || { state: 'off', message: '' };
    auto.setAttribute('data-state', String(av.state));
    auto.textContent = String(av.message || '');
    auto.hidden = av.state === 'off' || !av.message;
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
    } else if (msg.kind === 'press') {
      press(msg);
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
