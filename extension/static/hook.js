// Swipy page hook (MAIN world, document_start, tinder.com only).
// Wraps fetch and XMLHttpRequest to observe — never change — what the page sends and
// receives: the X-Auth-Token header, the page's own /v2/recs/core, /v2/matches and
// /v2/profile answers and its /like/{id}, /pass/{id}, /like/{id}/super calls (each matched
// with its response, or its failure). Nothing here may break or slow the page: every
// observation is wrapped in try/catch and nothing is awaited before the page gets its
// response.
//
// Private channel: content.js creates a MessageChannel and hands one port over in a
// MessageEvent dispatched on window at document_start, before any page script runs. The
// first port offered is the only one ever accepted; facts go over it and nowhere else (no
// window.postMessage), so the page can neither read nor forge them. Either script may run
// first: the hook listens for the offer, then announces itself; content.js offers at once
// and again when it hears the announcement. The hook cancels the offer event it accepts,
// which tells content.js (synchronously) that the port is taken.
//
// The wrappers are Proxies of the page's own functions, so name, length, prototype chain,
// and toString() read like the originals.
(() => {
  'use strict';
  const W = window;
  const OFFER = 'swipy-channel-offer';
  const READY = 'swipy-channel-ready';
  // Most bytes of an answer the hook reads (the host's frame cap): larger ones are skipped
  // before parsing.
  const MAX_BODY_CHARS = 16 * 1024 * 1024;
  const ID = '([A-Za-z0-9_-]{1,64})';
  const RULES = [
    [new RegExp('^/v2/recs/core/?$'), () => ({ kind: 'recs' })],
    [new RegExp('^/v2/matches/?$'), () => ({ kind: 'matches' })],
    [new RegExp('^/v2/profile/?$'), () => ({ kind: 'profile' })],
    [new RegExp('^/like/' + ID + '/super/?$'), (m) => ({ kind: 'swipe', verdict: 'superlike', id: m[1] })],
    [new RegExp('^/like/' + ID + '/?$'), (m) => ({ kind: 'swipe', verdict: 'like', id: m[1] })],
    [new RegExp('^/pass/' + ID + '/?$'), (m) => ({ kind: 'swipe', verdict: 'nope', id: m[1] })],
  ];
  const ANSWERS = new Set(['recs', 'matches', 'profile']);

  // ----- the private channel -----
  let port = null;
  const early = []; // facts seen before the port arrived (bounded)

  function post(kind, data) {
    const msg = Object.assign({ kind }, data);
    try {
      if (port) port.postMessage(msg);
      else {
        early.push(msg);
        if (early.length > 20) early.shift();
      }
    } catch (_) { /* never break the page */ }
  }

  function onOffer(ev) {
    try {
      const p = !port && ev.ports && ev.ports[0];
      if (!p) return;
      port = p;
      W.removeEventListener(OFFER, onOffer, true);
      ev.preventDefault(); // tells content.js the port is taken
      ev.stopImmediatePropagation();
      for (const m of early.splice(0)) port.postMessage(m);
    } catch (_) { /* ignore */ }
  }
  try {
    W.addEventListener(OFFER, onOffer, true);
    W.dispatchEvent(new Event(READY));
  } catch (_) { /* ignore */ }

  // ----- what a call means -----
  let lastToken = null;

  function classify(url, method) {
    let u;
    try { u = new URL(String(url), location.href); } catch (_) { return null; }
    if (u.protocol !== 'https:' || !/(^|\.)gotinder\.com$/.test(u.hostname)) return null;
    for (const [re, make] of RULES) {
      const m = u.pathname.match(re);
      if (!m) continue;
      const info = make(m);
      // Answers are read from the page's own GETs only (an update of the profile is not one).
      if (ANSWERS.has(info.kind) && String(method || 'GET').toUpperCase() !== 'GET') return null;
      return info;
    }
    return null;
  }

  function isApi(url) {
    try {
      const u = new URL(String(url), location.href);
      return u.protocol === 'https:' && /(^|\.)gotinder\.com$/.test(u.hostname);
    } catch (_) {
      return false;
    }
  }

  // A 401 from the Tinder API: the page's token is no longer valid (auto-swipe stops).
  function sawStatus(url, status) {
    if (status === 401 && isApi(url)) post('auth_lost', { status });
  }

  function sawToken(t) {
    if (typeof t === 'string' && t && t !== lastToken) {
      lastToken = t;
      post('token', { token: t });
    }
  }

  function headerFrom(headers) {
    if (!headers) return null;
    if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get('x-auth-token');
    if (Array.isArray(headers)) {
      for (const h of headers) if (h && String(h[0]).toLowerCase() === 'x-auth-token') return String(h[1]);
      return null;
    }
    if (typeof headers === 'object') {
      for (const k of Object.keys(headers)) if (k.toLowerCase() === 'x-auth-token') return String(headers[k]);
    }
    return null;
  }

  function parse(text) {
    if (typeof text !== 'string' || text.length > MAX_BODY_CHARS) return null;
    try { const v = JSON.parse(text); return v && typeof v === 'object' ? v : null; } catch (_) { return null; }
  }

  // One finished call: post what it means. `status` 0: the request failed (network error,
  // blocked, aborted) — for a swipe that is a failure, never a confirmation.
  function report(info, at, status, body) {
    if (ANSWERS.has(info.kind)) {
      const ok = status >= 200 && status < 300;
      if (ok && body) post(info.kind, { body, at_ms: at, status });
      // A recs answer with an error status (429: Tinder rate-limits) may carry no JSON body.
      else if (info.kind === 'recs' && status > 0 && !ok) post('recs', { body, at_ms: at, status });
    } else {
      const failed = !(status > 0);
      post('swipe', { profile_id: info.id, verdict: info.verdict, at_ms: at, status: failed ? 0 : status, failed, response: body });
    }
  }

  // ----- wrappers that read like the originals -----
  const originals = new WeakMap();
  function disguise(orig, apply) {
    const p = new Proxy(orig, { apply });
    originals.set(p, orig);
    return p;
  }
  try {
    const fnProto = Function.prototype;
    const toString = fnProto.toString;
    const wrapped = disguise(toString, (target, self, args) => Reflect.apply(target, originals.get(self) || self, args));
    fnProto.toString = wrapped;
  } catch (_) { /* ignore */ }

  // ----- fetch -----
  const origFetch = W.fetch;
  if (typeof origFetch === 'function') {
    const wrapped = disguise(origFetch, (target, self, args) => {
      let info = null;
      let url = null;
      const at = Date.now();
      try {
        const input = args[0];
        const init = args[1];
        const isReq = typeof Request !== 'undefined' && input instanceof Request;
        url = isReq ? input.url : input;
        const method = (init && init.method) || (isReq ? input.method : 'GET');
        info = classify(url, method);
        if (isApi(url)) {
          sawToken(headerFrom(init && init.headers) || (isReq ? input.headers.get('x-auth-token') : null));
        } else {
          url = null;
        }
      } catch (_) { info = null; }
      const p = Reflect.apply(target, self, args);
      if (url !== null) {
        try {
          // Registered before the page can see the response, so the clone happens first.
          p.then((res) => {
            sawStatus(url, res.status);
            if (!info) return;
            let copy;
            try { copy = res.clone(); } catch (_) { return; }
            copy.text().then((t) => report(info, at, res.status, parse(t)), () => report(info, at, res.status, null));
          }, () => { if (info && info.kind === 'swipe') report(info, at, 0, null); });
        } catch (_) { /* ignore */ }
      }
      return p;
    });
    try { W.fetch = wrapped; } catch (_) { /* ignore */ }
  }

  // ----- XMLHttpRequest -----
  const XHR = W.XMLHttpRequest && W.XMLHttpRequest.prototype;
  if (XHR) {
    const calls = new WeakMap();
    XHR.open = disguise(XHR.open, (target, self, args) => {
      try { calls.set(self, { url: String(args[1]), method: String(args[0] || 'GET') }); } catch (_) { /* ignore */ }
      return Reflect.apply(target, self, args);
    });
    XHR.setRequestHeader = disguise(XHR.setRequestHeader, (target, self, args) => {
      try { if (String(args[0]).toLowerCase() === 'x-auth-token') sawToken(String(args[1])); } catch (_) { /* ignore */ }
      return Reflect.apply(target, self, args);
    });
    XHR.send = disguise(XHR.send, (target, self, args) => {
      try {
        const c = calls.get(self);
        if (c && isApi(c.url)) {
          const info = classify(c.url, c.method);
          const at = Date.now();
          self.addEventListener('loadend', () => {
            try {
              sawStatus(c.url, self.status);
              if (!info) return;
              let body = null;
              if (self.responseType === '' || self.responseType === 'text') body = parse(self.responseText);
              else if (self.responseType === 'json') body = self.response && typeof self.response === 'object' ? self.response : null;
              report(info, at, self.status, body);
            } catch (_) { /* ignore */ }
          });
        }
      } catch (_) { /* ignore */ }
      return Reflect.apply(target, self, args);
    });
  }
})();
