#!/usr/bin/env node
'use strict';
// Mock tinder.com: ONE HTTPS server on loopback that answers as `tinder.com` (the web app),
// `api.gotinder.com` (the API) and `images-ssl.gotinder.com` (the photo CDN), routing by the
// Host header. A test CA and a leaf certificate for those names are generated at startup
// with the `openssl` CLI into a temporary folder.
//
//   node tests/mock/server.js [--port 8443] [--host 127.0.0.1] [--debug] [--seed S]
//        [--likes-limit N] [--match-every N] [--photo-ttl SECONDS] [--page-size N]
//        [--non-user-every N] [--max-profiles N] [--fixtures DIR] [--state-file FILE]
//        [--rate-limit-every N] (every Nth recs page also carries a rate-limit pseudo-user; 0 = off)
//        [--input normal|lock|nokeys|lock,nokeys] (how the page takes input; `?input=` wins)
//        [--recs-rate-limit 0|1|2] (recs/core answers 1: HTTP 429, 2: HTTP 200, both with
//                               {"error":{"message":"RATE_LIMITED"}}; 0 = off)
//        [--conversations N]   (matches made before this session, with messages: the
//                               `message=1` list; default 0)
//        [--demo]              (for `cargo xtask run --demo`: seed "demo", 600 profiles, longer photo
//                               expiry, a match every 7th like, a rate-limit pseudo-user every 20th page)
//        [--hold-file FILE]    (with `?hold=1` in the page URL, the page's load event waits until FILE exists)
//        [--exit-with-stdin]   (exit when stdin closes: lets a test driver tie our life to its own)
//        [--proxy-port N]      (also an HTTP CONNECT proxy on N, 0 = any free port, that tunnels
//                               tinder.com:443 & co. to this server: for browsers without
//                               host-resolver rules when port 443 is taken)
//
// When ready it prints on stdout `CA <path of the test CA PEM>` and then one JSON line:
//   {"ready":true,"port":8443,"ca":"/tmp/.../ca.pem","token":"...","pid":123,"status":"READY"}
// (`ca` is what tests pass as SWIPY_TEST_CA; `--state-file` writes the same JSON to a file).
// Test endpoints (on tinder.com only): GET /__mock/calls[?since=SEQ], POST|GET /__mock/reset,
// GET /__mock/config, POST /__mock/config (JSON: likes_limit, match_every, photo_ttl_s,
// page_size, non_user_every, max_profiles, seed, debug, rate_limit_every, input, recs_rate_limit,
// fail_swipes (the next N like/pass requests lose their connection: status 0 in the page),
// conversations), GET /__mock/profile?id=
// (the generated profile behind an id, with `planted`: the verdict of the planted taste).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { loadPeople, profileAt, toResult, plantedVerdict, rateLimitedResult, conversationMatch } = require('./profiles');
const { webpOf } = require('./webp');

const APP_HOST = 'tinder.com';
const API_HOST = 'api.gotinder.com';
const CDN_HOST = 'images-ssl.gotinder.com';
const ROOT = path.resolve(__dirname, '..', '..');

function parseArgs(argv) {
  const o = {
    port: 8443, host: '127.0.0.1', debug: false, seed: 'swipy', likesLimit: 100, matchEvery: 5,
    photoTtl: 600, pageSize: 10, nonUserEvery: 13, maxProfiles: 0, superLikes: 5,
    fixtures: path.join(ROOT, 'target', 'fixtures', 'openpeople'), stateFile: null, rateLimitEvery: 0,
    input: 'normal', recsRateLimit: 0, conversations: 0,
  };
  const given = new Set();
  const num = (v, name) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} needs a non-negative number, got ${v}`);
    return n;
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    given.add(a);
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--port': o.port = num(v(), a); break;
      case '--host': o.host = v(); break;
      case '--debug': o.debug = true; break;
      case '--seed': o.seed = v(); break;
      case '--likes-limit': o.likesLimit = num(v(), a); break;
      case '--match-every': o.matchEvery = num(v(), a); break;
      case '--photo-ttl': o.photoTtl = num(v(), a); break;
      case '--page-size': o.pageSize = Math.max(1, num(v(), a)); break;
      case '--non-user-every': o.nonUserEvery = num(v(), a); break;
      case '--max-profiles': o.maxProfiles = num(v(), a); break;
      case '--fixtures': o.fixtures = path.resolve(v()); break;
      case '--state-file': o.stateFile = path.resolve(v()); break;
      case '--exit-with-stdin': o.exitWithStdin = true; break;
      case '--proxy-port': o.proxyPort = num(v(), a); break;
      case '--rate-limit-every': o.rateLimitEvery = num(v(), a); break;
      case '--input': o.input = inputMode(v()); break;
      case '--recs-rate-limit': o.recsRateLimit = num(v(), a); break;
      case '--conversations': o.conversations = num(v(), a); break;
      case '--demo': o.demo = true; break;
      case '--hold-file': o.holdFile = path.resolve(v()); break;
      case '-h': case '--help':
        process.stderr.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(2, 28).join('\n') + '\n');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${a} (try --help)`);
    }
  }
  if (o.demo) {
    // Demo preset; explicit options win.
    if (!given.has('--seed')) o.seed = 'demo';
    if (!given.has('--max-profiles')) o.maxProfiles = 600;
    if (!given.has('--photo-ttl')) o.photoTtl = 6 * 3600;
    if (!given.has('--match-every')) o.matchEvery = 7;
    if (!given.has('--rate-limit-every')) o.rateLimitEvery = 20;
  }
  return o;
}

/** An input mode: `normal`, or `lock` and/or `nokeys` (comma-separated). */
function inputMode(v) {
  const parts = String(v).split(',').map((x) => x.trim()).filter(Boolean);
  if (!parts.length || !parts.every((x) => ['normal', 'lock', 'nokeys'].includes(x)) || (parts.includes('normal') && parts.length > 1)) {
    throw new Error(`--input takes normal, lock, nokeys or lock,nokeys, not ${v}`);
  }
  return parts.join(',');
}

/** Test CA + leaf certificate for the three names, made with the openssl CLI. */
function makeCerts(dir) {
  const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
    run(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '3', '-subj', '/CN=Swipy Mock Test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-out', 'ca.pem']);
    run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key']);
    run(['req', '-new', '-key', 'leaf.key', '-subj', `/CN=${APP_HOST}`, '-out', 'leaf.csr']);
    fs.writeFileSync(path.join(dir, 'leaf.ext'), [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:${APP_HOST},DNS:www.${APP_HOST},DNS:${API_HOST},DNS:${CDN_HOST},DNS:localhost,IP:127.0.0.1`,
      '',
    ].join('\n'));
    run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-sha256',
      '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.pem']);
  } catch (e) {
    const why = e.code === 'ENOENT' ? 'the openssl CLI is not installed (apt-get install -y openssl)' : String(e.stderr || e.message);
    throw new Error(`could not make the test certificates: ${why}`);
  }
  return {
    key: fs.readFileSync(path.join(dir, 'leaf.key')),
    cert: Buffer.concat([fs.readFileSync(path.join(dir, 'leaf.pem')), fs.readFileSync(path.join(dir, 'ca.pem'))]),
    caPath: path.join(dir, 'ca.pem'),
  };
}

// ---------------------------------------------------------------------------------------------
// State

const opts = (() => {
  try {
    return parseArgs(process.argv);
  } catch (e) {
    process.stderr.write(`mock: ${e.message}\n`);
    process.exit(2);
  }
})();

const people = (() => {
  try {
    return loadPeople(opts.fixtures);
  } catch (e) {
    process.stderr.write(`mock: ${e.message}\n`);
    process.exit(2);
  }
})();

// A recognizable, unique credential so tests can search files and logs for leaks.
const TOKEN = `swipytesttoken-${crypto.randomBytes(4).toString('hex')}-${crypto.randomUUID()}`;
const SIGNING_KEY = crypto.randomBytes(32);
const KEY_PAIR_ID = 'K368TLDEUPA6OI';
const USER_ID = '5a1b2c3d4e5f60718293a4b5';

const config = {
  likes_limit: opts.likesLimit, match_every: opts.matchEvery, photo_ttl_s: opts.photoTtl,
  page_size: opts.pageSize, non_user_every: opts.nonUserEvery, max_profiles: opts.maxProfiles,
  seed: opts.seed, debug: opts.debug, super_likes: opts.superLikes, rate_limit_every: opts.rateLimitEvery,
  input: opts.input, recs_rate_limit: opts.recsRateLimit, fail_swipes: 0, conversations: opts.conversations,
};

let state;
function resetState() {
  state = {
    seq: 0, calls: [], cursor: 0, served: new Map(), likes: 0, superLikes: 0, matches: [], recsPages: 0,
    swiped: new Map(), photos: new Map(), failing: new Map(),
  };
}
resetState();

function record(req, url, extra) {
  const entry = {
    seq: ++state.seq, t_ms: Date.now(), host: hostOf(req), method: req.method, path: url.pathname,
    query: url.search ? url.search.slice(1) : '', ua: String(req.headers['user-agent'] || ''),
    ...extra,
  };
  state.calls.push(entry);
  if (state.calls.length > 20000) state.calls.splice(0, state.calls.length - 20000);
  if (config.debug) process.stderr.write(`mock: ${entry.method} ${entry.host}${entry.path} -> ${entry.status}${entry.profile_id ? ` (${entry.profile_id})` : ''}\n`);
  return entry;
}

function hostOf(req) {
  return String(req.headers.host || '').toLowerCase().replace(/:\d+$/, '');
}

// ---------------------------------------------------------------------------------------------
// Signed photo URLs (CloudFront style: base64 policy with an expiry, HMAC signature)

function b64cf(buf) {
  return Buffer.from(buf).toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
}
function unb64cf(s) {
  return Buffer.from(String(s).replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
}

/** A 22-character CloudFront-style name (letters and digits), stable for `what`. */
function cfName(what) {
  const h = crypto.createHash('sha256').update(String(what)).digest();
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 22; i++) out += abc[h[i] % abc.length];
  return out;
}

/**
 * A signed URL like Tinder's: `/u/<22-char dir>/<22-char name>.jpeg` for the original and
 * `.webp` for each processed size, `?Policy=&Signature=&Key-Pair-Id=`; the policy covers
 * `*\/u/<dir>/*` until an expiry (see tests/mock/README.md).
 */
function signPhoto(profile, photo, size) {
  const dir = cfName(`dir/${profile.id}`);
  const name = cfName(`${photo.id}/${size}`);
  const ext = size === 'original' ? 'jpeg' : 'webp';
  const expires = Math.floor(Date.now() / 1000) + Math.max(1, Math.round(config.photo_ttl_s));
  const policy = JSON.stringify({ Statement: [{ Resource: `*/u/${dir}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }] });
  const sig = crypto.createHmac('sha256', SIGNING_KEY).update(policy).digest();
  state.photos.set(name, { profileId: profile.id, person: profile.person, file: photo.file, dir, size, ext });
  return `https://${CDN_HOST}/u/${dir}/${name}.${ext}?Policy=${b64cf(policy)}&Signature=${b64cf(sig)}&Key-Pair-Id=${KEY_PAIR_ID}`;
}

/** Whether CloudFront's resource pattern (`*` matches anything) covers `url`. */
function covers(pattern, url) {
  const re = new RegExp(`^${pattern.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(url);
}

/** Checks a CDN request; returns {ok, status, reason, photo}. */
function checkSigned(url) {
  const m = /^\/u\/([A-Za-z0-9]{22})\/([A-Za-z0-9]{22})\.(jpeg|webp)$/.exec(url.pathname);
  if (!m) return { ok: false, status: 404, reason: 'no such object' };
  const photo = state.photos.get(m[2]);
  if (!photo || photo.dir !== m[1] || photo.ext !== m[3]) return { ok: false, status: 404, reason: 'no such object' };
  const p = url.searchParams;
  if (!p.get('Policy') || !p.get('Signature') || p.get('Key-Pair-Id') !== KEY_PAIR_ID) {
    return { ok: false, status: 403, reason: 'Missing Key-Pair-Id query parameter or cookie value', photo };
  }
  const policyBytes = unb64cf(p.get('Policy'));
  const want = crypto.createHmac('sha256', SIGNING_KEY).update(policyBytes).digest();
  const got = unb64cf(p.get('Signature'));
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) {
    return { ok: false, status: 403, reason: 'Invalid signature', photo };
  }
  let policy;
  try {
    policy = JSON.parse(policyBytes.toString('utf8'));
  } catch {
    return { ok: false, status: 403, reason: 'Malformed policy', photo };
  }
  const st = (policy.Statement || [])[0] || {};
  if (!covers(String(st.Resource || ''), `https://${CDN_HOST}${url.pathname}`)) {
    return { ok: false, status: 403, reason: 'Policy does not cover this resource', photo };
  }
  const expires = Number(((st.Condition || {}).DateLessThan || {})['AWS:EpochTime']);
  if (!Number.isFinite(expires) || Date.now() / 1000 >= expires) {
    return { ok: false, status: 403, reason: 'Request has expired', photo, expired: true };
  }
  return { ok: true, status: 200, photo, size: photo.size };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

function send(res, status, body, headers = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const h = { 'Content-Length': buf.length, ...headers };
  if (!h['Content-Type']) h['Content-Type'] = typeof body === 'string' || Buffer.isBuffer(body) ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(status, h);
  res.end(buf);
}

function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const CORS = {
  'Access-Control-Allow-Origin': `https://${APP_HOST}`,
  'Access-Control-Allow-Credentials': 'true',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'x-auth-token, content-type, app-version, platform, tinder-version, persistent-device-id, user-session-id, user-session-time-elapsed, x-supported-image-formats, support-short-video',
  'Access-Control-Max-Age': '600',
  Vary: 'Origin',
};

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: blob: https://${CDN_HOST}`,
  `connect-src 'self' https://${API_HOST} https://${CDN_HOST}`,
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

// ---------------------------------------------------------------------------------------------
// tinder.com: the single-page app + test endpoints

const APP_DIR = path.join(__dirname, 'app');
const STATIC = {
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
  '/favicon.ico': null,
};

async function handleApp(req, res, url) {
  if (url.pathname.startsWith('/__mock/')) return handleMock(req, res, url);
  const secHeaders = {
    'Content-Security-Policy': CSP, 'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'strict-origin-when-cross-origin', 'Cache-Control': 'no-store',
  };
  if (url.pathname in STATIC) {
    const entry = STATIC[url.pathname];
    if (!entry) return send(res, 204, '', secHeaders);
    const body = fs.readFileSync(path.join(APP_DIR, entry[0]));
    return send(res, 200, body, { ...secHeaders, 'Content-Type': entry[1] });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', secHeaders);
  // Every other path is the SPA (like the real site's client-side routes: /app/recs, ...).
  let html = fs.readFileSync(path.join(APP_DIR, 'index.html'), 'utf8');
  html = html.replace('data-debug="0"', `data-debug="${config.debug ? 1 : 0}"`).replace('data-input="normal"', `data-input="${config.input}"`);
  // `--hold-file` with `?hold=1`: the page's load event waits for that file (a headless
  // screenshot of the demo is taken once the host has scored the first cards).
  if (opts.holdFile && url.searchParams.get('hold') === '1') html = html.replace('</body>', '<img hidden alt="" src="/__mock/hold"></body>');
  return send(res, 200, html, { ...secHeaders, 'Content-Type': 'text/html; charset=utf-8' });
}

async function handleMock(req, res, url) {
  const noStore = { 'Cache-Control': 'no-store' };
  switch (url.pathname) {
    case '/__mock/calls': {
      const since = Number(url.searchParams.get('since') || 0);
      return send(res, 200, { calls: state.calls.filter((c) => c.seq > since), swiped: Object.fromEntries(state.swiped), likes: state.likes, matches: state.matches.length }, noStore);
    }
    case '/__mock/hold': {
      const until = Date.now() + 120000;
      while (opts.holdFile && !fs.existsSync(opts.holdFile) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      return send(res, 204, '', noStore);
    }
    case '/__mock/reset':
      if (req.method !== 'POST' && req.method !== 'GET') return send(res, 405, { error: 'use POST' });
      resetState();
      return send(res, 200, { ok: true }, noStore);
    case '/__mock/config': {
      if (req.method === 'POST') {
        let body;
        try {
          body = JSON.parse((await readBody(req)) || '{}');
        } catch (e) {
          return send(res, 400, { error: `bad JSON: ${e.message}` });
        }
        for (const [k, v] of Object.entries(body)) {
          if (!(k in config) || k === 'token') return send(res, 400, { error: `unknown setting ${k}` });
          if (k === 'seed') config.seed = String(v);
          else if (k === 'debug') config.debug = Boolean(v);
          else if (k === 'input') {
            try {
              config.input = inputMode(v);
            } catch (e) {
              return send(res, 400, { error: e.message });
            }
          }
          else if (typeof v === 'number' && v >= 0) config[k] = v;
          else return send(res, 400, { error: `${k} must be a non-negative number` });
        }
      }
      return send(res, 200, { ...config, token: TOKEN, ca: certs.caPath, user_id: USER_ID }, noStore);
    }
    case '/__mock/profile': {
      // The generated profile behind an id (tests compare what the host stored).
      const p = state.served.get(url.searchParams.get('id') || '');
      return p ? send(res, 200, { ...p, planted: plantedVerdict(p) }, noStore) : send(res, 404, { error: 'not served' }, noStore);
    }
    default:
      return send(res, 404, { error: 'unknown mock endpoint' });
  }
}

// ---------------------------------------------------------------------------------------------
// api.gotinder.com

function authOf(req) {
  const t = req.headers['x-auth-token'];
  if (!t) return 'missing';
  return t === TOKEN ? 'valid' : 'invalid';
}

function unauthorized(res, req, url, kind, profileId) {
  record(req, url, { kind, status: 401, auth: authOf(req), profile_id: profileId || null });
  return send(res, 401, { status: 401, error: { code: 40120, message: 'Unauthorized' } }, CORS);
}

function nextRecs() {
  const out = [];
  const size = Math.max(1, Math.round(config.page_size));
  while (out.length < size) {
    if (config.max_profiles > 0 && state.cursor >= config.max_profiles) break;
    const p = profileAt(config.seed, state.cursor++, people, { nonUserEvery: config.non_user_every });
    if (p.kind === 'user') state.served.set(p.id, p);
    out.push(p);
  }
  return out;
}

async function handleApi(req, res, url) {
  if (req.method === 'OPTIONS') {
    record(req, url, { kind: 'preflight', status: 204, auth: 'n/a', profile_id: null });
    return send(res, 204, '', CORS);
  }
  const p = url.pathname;
  const json = (status, body) => send(res, status, body, { ...CORS, 'Cache-Control': 'no-store' });

  if (p === '/v2/auth/login/sms' && req.method === 'POST') {
    await readBody(req).catch(() => '');
    record(req, url, { kind: 'login', status: 200, auth: 'n/a', profile_id: null });
    return json(200, { meta: { status: 200 }, data: { api_token: TOKEN, refresh_token: crypto.randomBytes(16).toString('hex'), _id: USER_ID, is_new_user: false } });
  }

  let m;
  let kind = 'other';
  let profileId = null;
  if (p === '/v2/recs/core') kind = 'recs';
  else if (p === '/v2/profile') kind = 'profile';
  else if (p === '/v2/matches') kind = 'matches';
  else if ((m = /^\/like\/([^/]+)\/super$/.exec(p))) [kind, profileId] = ['super', m[1]];
  else if ((m = /^\/like\/([^/]+)$/.exec(p))) [kind, profileId] = ['like', m[1]];
  else if ((m = /^\/pass\/([^/]+)$/.exec(p))) [kind, profileId] = ['pass', m[1]];

  if (kind === 'other') {
    record(req, url, { kind, status: 404, auth: authOf(req), profile_id: null });
    return json(404, { status: 404, error: 'Not found' });
  }
  const auth = authOf(req);
  if (auth !== 'valid') return unauthorized(res, req, url, kind, profileId);

  let body = {};
  if (req.method === 'POST') {
    const raw = await readBody(req).catch(() => '');
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      record(req, url, { kind, status: 400, auth, profile_id: profileId });
      return json(400, { status: 400, error: 'Bad JSON' });
    }
  }

  switch (kind) {
    case 'recs': {
      if (req.method !== 'GET') break;
      const limited = Math.round(config.recs_rate_limit);
      if (limited === 1 || limited === 2) {
        // Tinder's answer to an account that fetches too much: HTTP 429, or 200 with an error body.
        const status = limited === 1 ? 429 : 200;
        record(req, url, { kind, status, auth, profile_id: null, ids: [], rate_limited: true });
        return json(status, { meta: { status: 429 }, error: { message: 'RATE_LIMITED' } });
      }
      const batch = nextRecs();
      state.recsPages++;
      const every = Math.round(config.rate_limit_every);
      const pseudo = every > 0 && batch.length > 0 && state.recsPages % every === 0;
      const entry = record(req, url, { kind, status: 200, auth, profile_id: null, ids: batch.filter((x) => x.kind === 'user').map((x) => x.id), rate_limited_pseudo_user: pseudo });
      if (batch.length === 0) return json(200, { meta: { status: 200 }, data: { timeout: 1800000 } });
      entry.results = batch.length + (pseudo ? 1 : 0);
      const results = batch.map((x) => toResult(x, signPhoto));
      // Like the real API now and then: a pseudo-user that says "rate limited" among the results.
      if (pseudo) results.splice(Math.min(results.length, 3), 0, rateLimitedResult(config.seed, state.recsPages));
      return json(200, { meta: { status: 200 }, data: { results } });
    }
    case 'profile': {
      if (req.method !== 'GET') break;
      record(req, url, { kind, status: 200, auth, profile_id: null });
      return json(200, {
        meta: { status: 200 },
        data: {
          user: { _id: USER_ID, name: 'Alex', birth_date: '1994-06-15T00:00:00.000Z', gender: 0, bio: '', photos: [], age_filter_min: 18, age_filter_max: 45, distance_filter: 50, interested_in: [1] },
          likes: { likes_remaining: likesRemaining() },
          super_likes: { remaining: Math.max(0, config.super_likes - state.superLikes), allotment: config.super_likes },
        },
      });
    }
    case 'matches': {
      if (req.method !== 'GET') break;
      // Two lists, as the web app reads them: message=0 (new matches, no messages yet) and
      // message=1 (conversations). Without `message`: every match.
      const message = url.searchParams.get('message');
      record(req, url, { kind, status: 200, auth, profile_id: null, list: message === '0' ? 'new' : message === '1' ? 'messages' : 'all' });
      const count = Math.min(100, Number(url.searchParams.get('count') || 60));
      const older = [];
      for (let i = 0; i < Math.round(config.conversations); i++) older.push(conversationMatch(config.seed, i, USER_ID));
      const all = [...state.matches.slice().reverse(), ...older];
      const list = message === '0' ? all.filter((x) => !x.messages.length) : message === '1' ? all.filter((x) => x.messages.length) : all;
      return json(200, { meta: { status: 200 }, data: { matches: list.slice(0, count) } });
    }
    case 'like':
    case 'super':
    case 'pass': {
      if (kind === 'pass' ? !['POST', 'GET'].includes(req.method) : req.method !== 'POST') break;
      const known = state.served.get(profileId);
      if (!/^[0-9a-f]{24}$/.test(profileId) || !known) {
        record(req, url, { kind, status: 404, auth, profile_id: profileId });
        return json(404, { status: 404, error: 'User not found' });
      }
      const sNumber = body.s_number ?? url.searchParams.get('s_number');
      const failing = state.failing.get(profileId);
      if (kind !== 'super' && (config.fail_swipes > 0 || (failing && failing > Date.now()))) {
        // The connection drops before an answer: the page sees a network error (status 0).
        // (A browser may retry a request whose reused connection closed: the retries of the
        // next few seconds fail too.)
        if (!failing) {
          config.fail_swipes--;
          state.failing.set(profileId, Date.now() + 5000);
        }
        record(req, url, { kind, status: 0, auth, profile_id: profileId, s_number: sNumber ?? null, applied: false, failed: true });
        req.socket.destroy();
        return undefined;
      }
      if (kind === 'pass') {
        state.swiped.set(profileId, 'pass');
        record(req, url, { kind, status: 200, auth, profile_id: profileId, s_number: sNumber ?? null, applied: true });
        return json(200, { status: 200 });
      }
      if (kind === 'super') {
        if (state.superLikes >= config.super_likes) {
          record(req, url, { kind, status: 200, auth, profile_id: profileId, applied: false, rate_limited: true });
          return json(200, { status: 200, match: false, limit_exceeded: true, super_likes: superLikeInfo() });
        }
        state.superLikes++;
        state.swiped.set(profileId, 'super');
        const match = maybeMatch(known, true);
        record(req, url, { kind, status: 200, auth, profile_id: profileId, s_number: sNumber ?? null, applied: true, matched: Boolean(match) });
        return json(200, { status: 200, match: match || false, limit_exceeded: false, super_likes: superLikeInfo() });
      }
      // like
      if (state.likes >= config.likes_limit) {
        const until = Date.now() + 12 * 3600 * 1000;
        record(req, url, { kind, status: 200, auth, profile_id: profileId, s_number: sNumber ?? null, applied: false, rate_limited: true });
        return json(200, { status: 200, match: false, likes_remaining: 0, rate_limited_until: until });
      }
      state.likes++;
      state.swiped.set(profileId, 'like');
      const match = maybeMatch(known, false);
      record(req, url, { kind, status: 200, auth, profile_id: profileId, s_number: sNumber ?? null, applied: true, matched: Boolean(match) });
      return json(200, { status: 200, match: match || false, likes_remaining: likesRemaining() });
    }
    default:
      break;
  }
  record(req, url, { kind, status: 405, auth, profile_id: profileId });
  return json(405, { status: 405, error: 'Method not allowed' });
}

/** Tinder's count: 100 while any like is left, 0 after the last one (it never counts down). */
function likesRemaining() {
  return state.likes < config.likes_limit ? 100 : 0;
}

function superLikeInfo() {
  return {
    remaining: Math.max(0, config.super_likes - state.superLikes), alc_remaining: 0, new_alc_remaining: 0,
    allotment: config.super_likes, superlike_refresh_amount: config.super_likes, superlike_refresh_interval: 1,
    superlike_refresh_interval_unit: 'd', resets_at: new Date(Date.now() + 86400000).toISOString(),
  };
}

function maybeMatch(profile, isSuper) {
  const n = Math.round(config.match_every);
  const likesSoFar = state.likes + state.superLikes;
  if (!(n > 0 && likesSoFar % n === 0)) return null;
  const match = {
    _id: `${USER_ID}${profile.id}`, id: `${USER_ID}${profile.id}`, closed: false, common_friend_count: 0,
    common_like_count: 0, created_date: new Date().toISOString(), dead: false, last_activity_date: new Date().toISOString(),
    message_count: 0, messages: [], participants: [USER_ID, profile.id], pending: false, is_super_like: isSuper,
    is_boost_match: false, is_super_boost_match: false, is_experiences_match: false, following: true,
    following_moments: true,
    person: { _id: profile.id, name: profile.name, photos: [] },
  };
  state.matches.push(match);
  return match;
}

// ---------------------------------------------------------------------------------------------
// images-ssl.gotinder.com

function handleCdn(req, res, url) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
  const check = checkSigned(url);
  const profileId = check.photo ? check.photo.profileId : null;
  record(req, url, { kind: 'photo', status: check.status, auth: 'n/a', profile_id: profileId, reason: check.ok ? undefined : check.reason });
  if (!check.ok) {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${check.reason}</Message></Error>`;
    return send(res, check.status, xml, { 'Content-Type': 'text/xml', 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' });
  }
  let img;
  const file = path.join(opts.fixtures, check.photo.person, check.photo.file);
  try {
    if (check.photo.ext === 'webp') {
      const [w, h] = check.photo.size.split('x').map(Number);
      img = webpOf(file, w, h, path.join(opts.fixtures, '.webp-cache'));
    } else {
      img = fs.readFileSync(file);
    }
  } catch (e) {
    return send(res, 500, `fixture unreadable: ${e.message}`);
  }
  // CloudFront sends no Access-Control-Allow-Origin for these (see tests/mock/README.md).
  return send(res, 200, req.method === 'HEAD' ? Buffer.alloc(0) : img, {
    'Content-Type': check.photo.ext === 'webp' ? 'image/webp' : 'image/jpeg', 'Cache-Control': 'max-age=3600',
    ...(req.method === 'HEAD' ? { 'Content-Length': img.length } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// Server

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'swipy-mock-'));
let certs;
try {
  certs = makeCerts(tmpDir);
} catch (e) {
  process.stderr.write(`mock: ${e.message}\n`);
  fs.rmSync(tmpDir, { recursive: true, force: true });
  process.exit(2);
}

const server = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
  let url;
  try {
    url = new URL(req.url, 'https://x');
  } catch {
    return send(res, 400, 'bad url');
  }
  const host = hostOf(req);
  const handler = host === APP_HOST || host === `www.${APP_HOST}` ? handleApp : host === API_HOST ? handleApi : host === CDN_HOST ? handleCdn : null;
  if (!handler) return send(res, 421, `mock does not serve host ${host || '(none)'}`);
  Promise.resolve(handler(req, res, url)).catch((e) => {
    process.stderr.write(`mock: error on ${req.method} ${host}${url.pathname}: ${e.stack || e}\n`);
    if (!res.headersSent) send(res, 500, { error: 'mock internal error' });
    else res.destroy();
  });
});
server.keepAliveTimeout = 5000;

function cleanup() {
  try {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  } catch {
    // best effort
  }
  if (opts.stateFile) fs.rmSync(opts.stateFile, { force: true });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    server.close();
    cleanup();
    process.exit(0);
  });
}
process.on('exit', cleanup);
// Die with the parent (test drivers keep our stdin open as a lifeline).
if (opts.exitWithStdin) {
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
}

server.on('error', (e) => {
  const why = e.code === 'EADDRINUSE' ? `port ${opts.port} is in use` : e.code === 'EACCES' ? `no permission to listen on port ${opts.port}` : e.message;
  process.stderr.write(`mock: cannot listen on ${opts.host}:${opts.port}: ${why}\n`);
  cleanup();
  process.exit(3);
});
// Optional CONNECT proxy: only the mock's own names on port 443, tunnelled into the TLS server.
let proxy = null;
if (opts.proxyPort !== undefined) {
  const http = require('node:http');
  proxy = http.createServer((req, res) => send(res, 405, 'this proxy only tunnels (CONNECT)'));
  proxy.on('connect', (req, socket, head) => {
    const [host, port] = String(req.url || '').toLowerCase().split(':');
    if (![APP_HOST, `www.${APP_HOST}`, API_HOST, CDN_HOST].includes(host) || port !== '443') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head && head.length) socket.unshift(head);
    server.emit('connection', socket);
  });
  proxy.on('error', (e) => {
    process.stderr.write(`mock: proxy cannot listen on ${opts.host}:${opts.proxyPort}: ${e.message}\n`);
    cleanup();
    process.exit(3);
  });
}

function listening() {
  return new Promise((resolve) => {
    if (!proxy) return resolve(null);
    proxy.listen(opts.proxyPort, opts.host, () => resolve(proxy.address().port));
  });
}

server.listen(opts.port, opts.host, async () => {
  const proxyPort = await listening();
  const ready = { ready: true, port: server.address().port, ca: certs.caPath, token: TOKEN, pid: process.pid, debug: config.debug, proxy_port: proxyPort };
  if (opts.stateFile) fs.writeFileSync(opts.stateFile, JSON.stringify(ready) + '\n');
  // Two lines: `CA <path>` for simple line readers, then the JSON (its `status` says READY).
  process.stdout.write(`CA ${certs.caPath}\n${JSON.stringify({ ...ready, status: 'READY' })}\n`);
  process.stderr.write(`mock: tinder.com, ${API_HOST}, ${CDN_HOST} on https://${opts.host}:${server.address().port} (CA ${certs.caPath})\n`);
});
