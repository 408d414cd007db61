'use strict';
// Starts the mock tinder.com as a child process and talks to its test endpoints.

const fs = require('node:fs');
const path = require('node:path');
const https = require('node:https');
const readline = require('node:readline');
const { ROOT, spawnTracked, stopChild, onCleanup, CheckError, withTimeout } = require('./util');

const SERVER = path.join(ROOT, 'tests', 'mock', 'server.js');

/**
 * Starts the mock on `port` (0 = any free port). Returns
 * {port, ca, token, stderr(), request(method, host, path, body), calls(), reset(), config(o), stop()}.
 */
async function startMock({ port = 0, args = [] } = {}) {
  const child = spawnTracked(process.execPath, [SERVER, '--port', String(port), '--exit-with-stdin', ...args], {
    cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 200000) stderr = stderr.slice(-100000);
  });
  const lines = readline.createInterface({ input: child.stdout });
  const ready = await withTimeout(new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        const j = JSON.parse(line);
        if (j.ready) resolve(j);
      } catch {
        // not the ready line
      }
    });
    child.on('exit', (code) => reject(new CheckError(`the mock exited (${code}) before it was ready: ${stderr.trim()}`)));
    child.on('error', (e) => reject(new CheckError(`cannot start the mock: ${e.message}`)));
  }), 30000, 'the mock tinder.com to become ready');
  const ca = fs.readFileSync(ready.ca);
  const agent = new https.Agent({ keepAlive: false });

  function request(method, host, urlPath, body, headers = {}) {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      const req = https.request({
        host: '127.0.0.1', port: ready.port, method, path: urlPath, servername: host, ca, agent,
        headers: { Host: host, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}), ...headers },
        timeout: 10000,
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          let json = null;
          try {
            json = JSON.parse(buf.toString('utf8'));
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode, headers: res.headers, body: buf, json });
        });
      });
      req.on('timeout', () => req.destroy(new CheckError(`mock request ${method} ${host}${urlPath} timed out`)));
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  async function mockJson(method, urlPath, body) {
    const r = await request(method, 'tinder.com', urlPath, body);
    if (r.status !== 200 || !r.json) throw new CheckError(`mock ${method} ${urlPath}: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
    return r.json;
  }

  const mock = {
    port: ready.port,
    proxyPort: ready.proxy_port || null,
    ca: ready.ca,
    token: ready.token,
    pid: child.pid,
    child,
    stderr: () => stderr,
    request,
    /** The call log: [{seq, t_ms, host, method, path, kind, profile_id, status, ua, ...}]. */
    calls: async (since = 0) => (await mockJson('GET', `/__mock/calls?since=${since}`)).calls,
    state: () => mockJson('GET', '/__mock/calls'),
    reset: () => mockJson('POST', '/__mock/reset'),
    config: (o) => (o ? mockJson('POST', '/__mock/config', o) : mockJson('GET', '/__mock/config')),
    profile: (id) => mockJson('GET', `/__mock/profile?id=${encodeURIComponent(id)}`),
    stop: () => stopChild(child),
  };
  onCleanup(() => mock.stop());
  return mock;
}

/** Ids of user profiles the mock served in recs responses (in order), from the call log. */
function servedIds(calls) {
  const ids = [];
  for (const c of calls) if (c.kind === 'recs' && c.status === 200 && Array.isArray(c.ids)) ids.push(...c.ids);
  return ids;
}

/** The page's swipe calls (like/pass/super) that the mock applied, in order: [{id, kind}]. */
function swipeCalls(calls) {
  return calls.filter((c) => ['like', 'pass', 'super'].includes(c.kind) && c.status === 200)
    .map((c) => ({ id: c.profile_id, kind: c.kind, applied: c.applied !== false, ua: c.ua, seq: c.seq, t_ms: c.t_ms, matched: c.matched === true }));
}

module.exports = { startMock, servedIds, swipeCalls };
