// Mock tinder.com web app: a small single-page app that behaves like the real one as far as
// Swipy can see (card stack DOM, gamepad, keyboard shortcuts, API calls with X-Auth-Token,
// match and out-of-likes dialogs in a portal). No framework; loaded under `script-src 'self'`.
// Sources of each behaviour: tests/mock/README.md.
//
// Input modes (`?input=`, else the server's `--input`; comma-separated):
//   normal  a swipe blocks input while its card leaves (120 ms)
//   lock    input is ignored for 300 ms after each swipe, also once the next card is shown
//   nokeys  synthetic key events (`isTrusted` false) are ignored; clicks of any kind work
// Card marking (`?cards=`): by default the top card is `aria-hidden="false"` and the others
// `"true"`; `unmarked` sets no `aria-hidden` on any card (only the top card's z-index shows it).
(() => {
  'use strict';

  const API = 'https://api.gotinder.com';
  const TOKEN_KEY = 'TinderWeb/APIToken';
  const root = document.getElementById('app');
  const debug = document.documentElement.dataset.debug === '1';
  const params = new URLSearchParams(location.search);
  const inputModes = new Set(String(params.get('input') || document.documentElement.dataset.input || 'normal').split(','));
  const LOCK_MS = inputModes.has('lock') ? 300 : 0;
  const unmarked = params.get('cards') === 'unmarked';
  const isTopEl = (el) => (unmarked ? el.classList.contains('recCard--top') : el.getAttribute('aria-hidden') === 'false');

  const STRINGS = {
    en: {
      rewind: 'Rewind', nope: 'Nope', superlike: 'Super Like', like: 'Like', boost: 'Boost',
      login: 'Log in', loginTitle: 'Swipe Right®', loginBody: 'By tapping Log in, you agree to our Terms.',
      match: "It's a Match!", matchBody: (n) => `You and ${n} have liked each other.`, keepSwiping: 'Keep Swiping',
      send: 'Send', outTitle: "You're Out of Likes!", outBody: (t) => `Get unlimited likes with Tinder Plus®, or wait until ${t}.`,
      noThanks: 'No Thanks', empty: "There's no one new around you.", loading: 'Finding people near you…',
      away: (km) => `${km} kilometers away`, photo: (n, i, k) => `${n}'s photo ${i} of ${k}`, error: 'Something went wrong. Try again.',
      back: 'Back to Tinder',
    },
    de: {
      rewind: 'Zurück', nope: 'Nein', superlike: 'Super Like', like: 'Gefällt mir', boost: 'Boost',
      login: 'Anmelden', loginTitle: 'Swipe Right®', loginBody: 'Mit „Anmelden“ stimmst du unseren Bedingungen zu.',
      match: "It's a Match!", matchBody: (n) => `Du und ${n} habt euch gegenseitig geliked.`, keepSwiping: 'Weiter swipen',
      send: 'Senden', outTitle: 'Du hast keine Likes mehr!', outBody: (t) => `Hol dir unbegrenzte Likes mit Tinder Plus® oder warte bis ${t}.`,
      noThanks: 'Nein danke', empty: 'Niemand Neues in deiner Nähe.', loading: 'Wir suchen Leute in deiner Nähe…',
      away: (km) => `${km} Kilometer entfernt`, photo: (n, i, k) => `Foto ${i} von ${k} von ${n}`, error: 'Etwas ist schiefgelaufen.',
      back: 'Zurück zu Tinder',
    },
    fr: {
      rewind: 'Retour', nope: 'Non', superlike: 'Super Like', like: "J'aime", boost: 'Boost',
      login: 'Se connecter', loginTitle: 'Swipe Right®', loginBody: 'En appuyant sur Se connecter, tu acceptes nos conditions.',
      match: "C'est un Match !", matchBody: (n) => `${n} et toi vous êtes likés.`, keepSwiping: 'Continuer',
      send: 'Envoyer', outTitle: "Tu n'as plus de Likes !", outBody: (t) => `Likes illimités avec Tinder Plus®, ou attends jusqu'à ${t}.`,
      noThanks: 'Non merci', empty: "Il n'y a personne de nouveau autour de toi.", loading: 'Recherche de personnes…',
      away: (km) => `à ${km} kilomètres`, photo: (n, i, k) => `Photo ${i} sur ${k} de ${n}`, error: "Une erreur s'est produite.",
      back: 'Retour sur Tinder',
    },
  };
  const lang = (params.get('lang') || (navigator.language || 'en')).slice(0, 2).toLowerCase();
  const L = STRINGS[lang] || STRINGS.en;
  const locale = STRINGS[lang] ? lang : 'en';
  document.documentElement.lang = locale;

  const app = {
    token: null,
    queue: [], // [{result, user}] in card order; queue[0] is the top card
    fetching: false,
    exhausted: false,
    busy: false,
    lockedUntil: 0,
    photoIndex: 0,
    expanded: false,
    likesRemaining: null,
    deviceId: null,
  };

  // ------------------------------------------------------------------------------------------
  // small DOM helper

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'style') Object.assign(el.style, v);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  // ------------------------------------------------------------------------------------------
  // API (recs, profile and matches with fetch; swipes with XMLHttpRequest, like an axios client)

  function headers() {
    return {
      'X-Auth-Token': app.token, 'app-version': '1059500', platform: 'web', 'tinder-version': '5.95.0',
      'persistent-device-id': app.deviceId, 'x-supported-image-formats': 'webp,jpeg',
    };
  }

  class Unauthorized extends Error {}

  async function apiGet(path) {
    const res = await fetch(API + path, { headers: headers(), credentials: 'omit' });
    if (res.status === 401) throw new Unauthorized('401');
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    const body = await res.json();
    if (body && body.error) throw new Error(`GET ${path}: ${body.error.message || 'error'}`);
    return body;
  }

  function apiXhr(method, path, body) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open(method, API + path, true);
      for (const [k, v] of Object.entries(headers())) x.setRequestHeader(k, v);
      if (body !== undefined) x.setRequestHeader('Content-Type', 'application/json');
      x.timeout = 15000;
      x.onload = () => {
        if (x.status === 401) return reject(new Unauthorized('401'));
        let data = null;
        try {
          data = x.responseText ? JSON.parse(x.responseText) : null;
        } catch {
          data = null;
        }
        if (x.status >= 400) return reject(new Error(`${method} ${path}: HTTP ${x.status}`));
        resolve(data);
      };
      x.onerror = () => reject(new Error(`${method} ${path}: network error`));
      x.ontimeout = () => reject(new Error(`${method} ${path}: timeout`));
      x.send(body === undefined ? null : JSON.stringify(body));
    });
  }

  function onApiError(e) {
    if (e instanceof Unauthorized) {
      localStorage.removeItem(TOKEN_KEY);
      app.token = null;
      renderLogin();
      return;
    }
    console.warn('[tinder-mock]', e.message);
    toast(L.error);
  }

  // ------------------------------------------------------------------------------------------
  // login

  function renderLogin() {
    closeDialogs();
    root.replaceChildren(h('main', { class: 'login' },
      h('h1', {}, L.loginTitle),
      h('p', {}, L.loginBody),
      h('button', { type: 'button', class: 'login__button', 'data-testid': 'login', onclick: login }, L.login)));
    if (params.get('autologin') === '1') login();
  }

  async function login() {
    try {
      const res = await fetch(`${API}/v2/auth/login/sms`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', platform: 'web' },
        body: JSON.stringify({ phone_number: '+4915100000000', otp_code: '123456' }),
      });
      const body = await res.json();
      const token = body && body.data && body.data.api_token;
      if (!token) throw new Error('login: no token');
      localStorage.setItem(TOKEN_KEY, token);
      start();
    } catch (e) {
      onApiError(e);
    }
  }

  // ------------------------------------------------------------------------------------------
  // recs

  async function fetchRecs() {
    if (app.fetching || app.exhausted) return;
    app.fetching = true;
    if (!app.queue.length) renderStack();
    try {
      const body = await apiGet(`/v2/recs/core?locale=${locale}`);
      const results = (body && body.data && body.data.results) || [];
      if (!results.length) app.exhausted = true;
      const had = new Set(app.queue.map((c) => c.user._id));
      for (const result of results) {
        // Non-user results (ads, promos) are not cards in this stack.
        if (!result || result.type !== 'user' || !result.user || had.has(result.user._id)) continue;
        // Rate-limit pseudo-users are no cards either.
        if (String(result.user._id).startsWith('tinder_rate_limited_id_')) continue;
        app.queue.push({ result, user: result.user });
      }
    } catch (e) {
      onApiError(e);
      return;
    } finally {
      app.fetching = false;
    }
    renderStack();
  }

  function maybeFetchMore() {
    if (app.queue.length < 4) fetchRecs();
  }

  // ------------------------------------------------------------------------------------------
  // card stack

  function ageOf(user) {
    if (user.hide_age || !user.birth_date) return null;
    const b = new Date(user.birth_date);
    if (Number.isNaN(b.getTime())) return null;
    const n = new Date();
    let age = n.getUTCFullYear() - b.getUTCFullYear();
    if (n.getUTCMonth() < b.getUTCMonth() || (n.getUTCMonth() === b.getUTCMonth() && n.getUTCDate() < b.getUTCDate())) age--;
    return age;
  }

  function photoUrl(photo) {
    const best = (photo.processedFiles || []).find((f) => f.width === 640) || (photo.processedFiles || [])[0];
    return (best && best.url) || photo.url;
  }

  // Cards are keyed by profile id and kept across renders, like React keeps a keyed child: a
  // card moving up the stack keeps its element and only its attributes change. Opening the
  // full profile (ArrowDown, or the info button) mounts a different element for the same card.
  const cardEls = new Map(); // profile id -> element

  function renderCard(card, expanded) {
    const u = card.user;
    const photos = u.photos || [];
    const age = ageOf(u);
    const teaser = card.result.teaser && card.result.teaser.string;
    const km = Math.round((card.result.distance_mi || 0) * 1.609344);
    const slides = photos.map((p, i) => {
      const face = (((p.crop_info || {}).faces || [])[0] || {}).algo;
      const y = face ? Math.round((face.y_offset_pct + face.height_pct / 2) * 100) : 50;
      return h('div', {
        role: 'img', 'aria-label': L.photo(u.name, i + 1, photos.length),
        class: `carousel__slide${i === 0 ? ' is-active' : ''}`,
        style: { backgroundImage: `url("${photoUrl(p)}")`, backgroundPosition: `50% ${y}%`, backgroundSize: 'cover' },
      });
    });
    const bullets = photos.length > 1
      ? h('div', { class: 'carousel__bullets', 'aria-hidden': 'true' },
        photos.map((_, i) => h('span', { class: `bullet${i === 0 ? ' is-active' : ''}` })))
      : null;
    const interests = ((((card.result.experiment_info || {}).user_interests || {}).selected_interests) || []).map((x) => x.name);
    const el = h('div', {
      class: `recCard${expanded ? ' recCard--expanded' : ''}`, 'aria-hidden': unmarked ? null : 'true',
      'data-profile-id': debug ? u._id : null,
    },
    h('div', { class: 'recCard__photos', onclick: onPhotoClick },
      h('div', { class: 'carousel' }, slides), bullets),
    h('div', { class: 'recCard__info' },
      h('div', { class: 'recCard__nameRow' },
        h('span', { itemprop: 'name', class: 'recCard__name' }, u.name || ''),
        age !== null ? ' ' : null,
        age !== null ? h('span', { itemprop: 'age', class: 'recCard__age' }, String(age)) : null),
      teaser ? h('div', { class: 'recCard__teaser' }, teaser) : null,
      !u.hide_distance && km > 0 ? h('div', { class: 'recCard__distance' }, L.away(km)) : null,
      u.bio ? h('div', { class: 'recCard__bio' }, u.bio) : null,
      expanded && interests.length ? h('div', { class: 'recCard__interests' }, interests.join(' · ')) : null),
    h('button', { type: 'button', class: 'recCard__infoButton', 'aria-label': 'Open profile', onclick: (ev) => { ev.stopPropagation(); toggleExpanded(); } }, 'i'));
    return el;
  }

  function onPhotoClick(ev) {
    const cardEl = ev.currentTarget.closest('.recCard');
    if (!cardEl || !isTopEl(cardEl)) return;
    const rect = ev.currentTarget.getBoundingClientRect();
    movePhoto(ev.clientX - rect.left > rect.width / 2 ? 1 : -1);
  }

  function showPhoto(el, index) {
    el.querySelectorAll('.carousel__slide').forEach((s, i) => s.classList.toggle('is-active', i === index));
    el.querySelectorAll('.bullet').forEach((b, i) => b.classList.toggle('is-active', i === index));
  }

  function movePhoto(step) {
    const top = app.queue[0];
    if (!top) return;
    const n = (top.user.photos || []).length;
    const next = app.photoIndex + step;
    if (next < 0 || next >= n) return;
    app.photoIndex = next;
    const el = cardEls.get(top.user._id);
    if (el) showPhoto(el, next);
  }

  function toggleExpanded() {
    const top = app.queue[0];
    if (!top) return;
    app.expanded = !app.expanded;
    const old = cardEls.get(top.user._id);
    const el = renderCard(top, app.expanded);
    if (!unmarked) el.setAttribute('aria-hidden', 'false');
    el.classList.add('recCard--top');
    showPhoto(el, app.photoIndex);
    cardEls.set(top.user._id, el);
    if (old) old.replaceWith(el);
  }

  // Like the real gamepad: no aria-label, only a visually hidden text in capitals (LIKE, NOPE,
  // ...) and a `sparks-<kind>-default` class; the visible part is an icon.
  function gamepadButton(kind, icon, text, onclick, disabled) {
    return h('div', { class: 'gamepad__slot' }, h('button', {
      type: 'button', class: `button gamepad-button Bdrs(50%) sparks-${kind}-default`,
      disabled: disabled || null, onclick,
    }, h('span', { class: 'Hidden' }, text), h('span', { class: 'gamepad-icon-wrapper', 'aria-hidden': 'true' }, icon)));
  }

  function renderStack() {
    let main = root.querySelector('main.recs');
    if (!main) {
      cardEls.clear();
      main = h('main', { class: 'recs' },
        h('div', { class: 'recsCardboard' },
          h('div', { class: 'recsCardboard__cards' }),
          h('div', { class: 'gamepad' },
            gamepadButton('rewind', '↺', 'REWIND', () => toast('Tinder Plus®'), true),
            gamepadButton('nope', '✕', 'NOPE', () => swipe('pass')),
            gamepadButton('super-like', '★', 'SUPER LIKE', () => swipe('super')),
            gamepadButton('like', '♥', 'LIKE', () => swipe('like')),
            gamepadButton('boost', '⚡', 'BOOST', () => toast('Boost'), true))));
      root.replaceChildren(main);
    }
    const stack = main.querySelector('.recsCardboard__cards');
    const visible = app.queue.slice(0, 3);
    const keep = new Set(visible.map((c) => c.user._id));
    for (const [id, el] of cardEls) {
      if (!keep.has(id)) {
        el.remove();
        cardEls.delete(id);
      }
    }
    const empty = stack.querySelector('.recsCardboard__empty');
    if (visible.length) {
      if (empty) empty.remove();
    } else if (!empty) {
      stack.append(h('div', { class: 'recsCardboard__empty', role: 'status' }, app.exhausted ? L.empty : L.loading));
    } else {
      empty.textContent = app.exhausted ? L.empty : L.loading;
    }
    visible.forEach((c, i) => {
      let el = cardEls.get(c.user._id);
      if (!el) {
        el = renderCard(c, false);
        cardEls.set(c.user._id, el);
      }
      const isTop = i === 0;
      if (isTopEl(el) !== isTop) {
        if (!unmarked) el.setAttribute('aria-hidden', isTop ? 'false' : 'true');
        el.classList.toggle('recCard--top', isTop);
        if (isTop) showPhoto(el, app.photoIndex);
      }
      if (stack.children[i] !== el) stack.insertBefore(el, stack.children[i] || null);
    });
    const none = !visible.length;
    for (const b of main.querySelectorAll('.sparks-nope-default, .sparks-super-like-default, .sparks-like-default')) b.disabled = none;
  }

  async function swipe(kind) {
    if (app.busy || dialogOpen() || performance.now() < app.lockedUntil) return;
    const card = app.queue[0];
    if (!card) return;
    // Only the card animation blocks the next swipe (in `lock` mode 300 ms, even after the
    // next card is shown); the API call runs in the background.
    app.busy = true;
    app.lockedUntil = performance.now() + LOCK_MS;
    const topEl = root.querySelector('.recCard--top');
    if (topEl) topEl.classList.add(kind === 'pass' ? 'is-gone-left' : kind === 'like' ? 'is-gone-right' : 'is-gone-up');
    await new Promise((r) => setTimeout(r, 120));
    app.queue.shift();
    app.photoIndex = 0;
    app.expanded = false;
    renderStack();
    app.busy = false;
    maybeFetchMore();
    const id = card.user._id;
    const sNumber = card.result.s_number;
    try {
      if (kind === 'pass') {
        await apiXhr('POST', `/pass/${id}?s_number=${sNumber}`);
        return;
      }
      const photo = (card.user.photos || [])[0];
      const body = { s_number: sNumber, liked_content_id: photo ? photo.id : undefined, liked_content_type: 'photo' };
      const res = await apiXhr('POST', kind === 'super' ? `/like/${id}/super` : `/like/${id}`, body);
      if (res && typeof res.likes_remaining === 'number') app.likesRemaining = res.likes_remaining;
      if (res && (res.rate_limited_until || res.limit_exceeded)) {
        // The swipe did not count: the card comes back on top and the paywall opens.
        app.queue.unshift(card);
        app.photoIndex = 0;
        app.expanded = false;
        renderStack();
        showOutOfLikes(res.rate_limited_until);
      } else if (res && res.match) {
        showMatch(card.user);
      }
    } catch (e) {
      onApiError(e);
    }
  }

  // ------------------------------------------------------------------------------------------
  // dialogs

  // Dialogs live in a portal: a body-level sibling of the app root (the real app's second
  // `body > div`), with nothing but role, aria-modal and styling classes to go by.
  function portal() {
    let p = document.getElementById('modal-manager');
    if (!p) {
      p = h('div', { id: 'modal-manager' });
      document.body.append(p);
    }
    return p;
  }

  function dialogOpen() {
    return Boolean(document.querySelector('[role="dialog"]'));
  }

  function closeDialogs() {
    portal().replaceChildren();
  }

  function showDialog(wide, ...children) {
    closeDialogs();
    const dlg = h('div', { class: 'Pos(f) Inset(0) modal-layer' },
      h('div', { class: 'Pos(a) Inset(0) Bgc($c-bg-black-70)' }),
      h('div', { role: 'dialog', 'aria-modal': 'true', tabindex: '-1', class: `Pos(r) Bdrs(12px) modal-box${wide ? ' W(400px) modal-box--glow' : ' W(360px)'}` },
        h('div', { class: 'Ta(c) P(28px)' }, children)));
    portal().append(dlg);
    const btn = dlg.querySelector('button');
    if (btn) btn.focus();
  }

  function showMatch(user) {
    const photo = (user.photos || [])[0];
    showDialog(true,
      h('h3', { class: 'Fz($xl) Fs(i) C($c-green)' }, L.match),
      h('div', { class: 'W(120px) H(150px) M(a) Bgz(cv) Bdrs(8px)', role: 'img', style: photo ? { backgroundImage: `url("${photoUrl(photo)}")` } : {} }),
      h('p', {}, L.matchBody(user.name)),
      h('textarea', { class: 'W(100%) Bdrs(20px)', rows: '1', 'aria-label': L.send }),
      h('button', { type: 'button', class: 'button Bdrs(24px)', title: L.back, onclick: closeDialogs }, L.keepSwiping));
  }

  function showOutOfLikes(until) {
    const t = until ? new Date(until).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' }) : '—';
    showDialog(false,
      h('h3', { class: 'Fz($xl)' }, L.outTitle),
      h('p', {}, L.outBody(t)),
      h('button', { type: 'button', class: 'button Bdrs(24px)', onclick: closeDialogs }, L.noThanks));
  }

  let toastTimer = null;
  function toast(text) {
    let el = document.querySelector('.toast');
    if (!el) {
      el = h('div', { class: 'toast', role: 'status' });
      document.body.append(el);
    }
    el.textContent = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => el.remove(), 2500);
  }

  // ------------------------------------------------------------------------------------------
  // keyboard shortcuts (like the real web app)

  document.addEventListener('keydown', (ev) => {
    // `nokeys`: only key presses the user made count (a script's KeyboardEvent is untrusted).
    if (inputModes.has('nokeys') && !ev.isTrusted) return;
    if (ev.key === 'Escape' && dialogOpen()) {
      closeDialogs();
      return;
    }
    const t = ev.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
    if (!app.token || dialogOpen() || !root.querySelector('main.recs')) return;
    if (ev.repeat) return;
    switch (ev.key) {
      case 'ArrowLeft': ev.preventDefault(); swipe('pass'); break;
      case 'ArrowRight': ev.preventDefault(); swipe('like'); break;
      case 'ArrowUp': ev.preventDefault(); swipe('super'); break;
      case 'ArrowDown': ev.preventDefault(); toggleExpanded(); break;
      case ' ': ev.preventDefault(); movePhoto(1); break;
      default: break;
    }
  });

  // ------------------------------------------------------------------------------------------
  // start

  async function start() {
    app.token = localStorage.getItem(TOKEN_KEY);
    if (!app.token) return renderLogin();
    app.deviceId = localStorage.getItem('TinderWeb/uuid') || crypto.randomUUID();
    localStorage.setItem('TinderWeb/uuid', app.deviceId);
    app.queue = [];
    app.exhausted = false;
    renderStack();
    try {
      // Both matches lists, as the web app reads them: new matches and conversations.
      const [profile] = await Promise.all([
        apiGet(`/v2/profile?locale=${locale}&include=likes,super_likes`),
        apiGet(`/v2/matches?locale=${locale}&count=60&message=0&is_tinder_u=false`),
        apiGet(`/v2/matches?locale=${locale}&count=60&message=1&is_tinder_u=false`),
      ]);
      const likes = profile && profile.data && profile.data.likes;
      if (likes && typeof likes.likes_remaining === 'number') app.likesRemaining = likes.likes_remaining;
    } catch (e) {
      onApiError(e);
      return;
    }
    fetchRecs();
  }

  start();
})();
