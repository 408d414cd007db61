// Swipy page hook (MAIN world, document_start, tinder.com only).
// Wraps fetch and XMLHttpRequest to observe — never change — what the page sends and
// receives: the X-Auth-Token header, /v2/recs/core bodies and the page's own
// /like/{id}, /pass/{id}, /like/{id}/super calls. Facts go to content.js with
// window.postMessage({__swipy: 1, kind, ...}). Nothing here may break or slow the page:
// every observation is wrapped in try/catch and nothing is awaited before the page gets
// its response.
(() => {
  'use strict';
  const ORIGIN = location.origin;
  const ID = '([A-Za-z0-9_-]{1,64})';
  const RULES = [
    [new RegExp('^/v2/recs/core/?$'), () => ({ kind: 'recs' })],
    [new RegExp('^/like/' + ID + '/super/?$'), (m) => ({ kind: 'swipe', verdict: 'superlike', id: m[1] })],
    [new RegExp('^/like/' + ID + '/?$'), (m) => ({ kind: 'swipe', verdict: 'like', id: m[1] })],
    [new RegExp('^/pass/' + ID + '/?$'), (m) => ({ kind: 'swipe', verdict: 'nope', id: m[1] })],
  ];
  let lastToken = null;

  function post(kind, data) {
    try {
      window.postMessage(Object.assign({ __swipy: 1, kind }, data), ORIGIN);
    } catch (_) { /* never break the page */ }
  }

  function classify(url) {
    let u;
    try { u = new URL(String(url), location.href); } catch (_) { return null; }
    if (u.protocol !== 'https:' || !/(^|\.)gotinder\.com$/.test(u.hostname)) return null;
    for (const [re, make] of RULES) {
      const m = u.pathname.match(re);
      if (m) return make(m);
    }
    return null;
  }

  // A 401 from the Tinder API: the page's token is no longer valid (auto-swipe stops).
  function sawStatus(url, status) {
    if (status !== 401) return;
    try {
      const u = new URL(String(url), location.href);
      if (u.protocol === 'https:' && /(^|\.)gotinder\.com$/.test(u.hostname)) post('auth_lost', { status });
    } catch (_) { /* ignore */ }
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
    try { const v = JSON.parse(text); return v && typeof v === 'object' ? v : null; } catch (_) { return null; }
  }

  // One finished call: post what it means.
  function report(info, at, status, body) {
    if (info.kind === 'recs') {
      if (status >= 200 && status < 300 && body) post('recs', { body, at_ms: at });
    } else {
      post('swipe', { profile_id: info.id, verdict: info.verdict, at_ms: at, status, response: body });
    }
  }

  // Wrappers read like the functions they wrap (some pages inspect `fetch.toString()`).
  function disguise(wrapper, orig) {
    try {
      Object.defineProperty(wrapper, 'toString', { value: () => Function.prototype.toString.call(orig), configurable: true });
    } catch (_) { /* ignore */ }
    return wrapper;
  }

  // ----- fetch -----
  const origFetch = window.fetch;
  if (typeof origFetch === 'function') {
    const wrapped = function fetch(input, init) {
      let info = null;
      let api = false;
      let url = null;
      const at = Date.now();
      try {
        const isReq = typeof Request !== 'undefined' && input instanceof Request;
        url = isReq ? input.url : input;
        info = classify(url);
        api = /gotinder\.com/.test(String(url));
        if (info || /gotinder\.com/.test(String(url))) {
          sawToken(headerFrom(init && init.headers) || (isReq ? input.headers.get('x-auth-token') : null));
        }
      } catch (_) { info = null; }
      const p = origFetch.apply(this, arguments);
      if (api) {
        try { p.then((res) => sawStatus(url, res.status), () => {}); } catch (_) { /* ignore */ }
      }
      if (info) {
        try {
          // Registered before the page can see the response, so the clone happens first.
          p.then((res) => {
            let copy;
            try { copy = res.clone(); } catch (_) { return; }
            copy.text().then((t) => report(info, at, res.status, parse(t)), () => report(info, at, res.status, null));
          }, () => { if (info.kind === 'swipe') report(info, at, null, null); });
        } catch (_) { /* ignore */ }
      }
      return p;
    };
    try { window.fetch = disguise(wrapped, origFetch); } catch (_) { /* ignore */ }
  }

  // ----- XMLHttpRequest -----
  const XHR = window.XMLHttpRequest && window.XMLHttpRequest.prototype;
  if (XHR) {
    const calls = new WeakMap();
    const origOpen = XHR.open;
    const origSet = XHR.setRequestHeader;
    const origSend = XHR.send;
    XHR.open = disguise(function open(method, url) {
      try { calls.set(this, { url: String(url) }); } catch (_) { /* ignore */ }
      return origOpen.apply(this, arguments);
    }, origOpen);
    XHR.setRequestHeader = disguise(function setRequestHeader(name, value) {
      try { if (String(name).toLowerCase() === 'x-auth-token') sawToken(String(value)); } catch (_) { /* ignore */ }
      return origSet.apply(this, arguments);
    }, origSet);
    XHR.send = disguise(function send() {
      try {
        const c = calls.get(this);
        const info = c && classify(c.url);
        if (c && /gotinder\.com/.test(c.url)) {
          const xhr0 = this;
          xhr0.addEventListener('loadend', () => { try { sawStatus(c.url, xhr0.status); } catch (_) { /* ignore */ } });
        }
        if (info) {
          const at = Date.now();
          const xhr = this;
          xhr.addEventListener('loadend', () => {
            try {
              let body = null;
              if (xhr.responseType === '' || xhr.responseType === 'text') body = parse(xhr.responseText);
              else if (xhr.responseType === 'json') body = xhr.response && typeof xhr.response === 'object' ? xhr.response : null;
              report(info, at, xhr.status || null, body);
            } catch (_) { /* ignore */ }
          });
        }
      } catch (_) { /* ignore */ }
      return origSend.apply(this, arguments);
    }, origSend);
  }
})();
