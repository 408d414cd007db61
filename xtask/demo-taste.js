#!/usr/bin/env node
'use strict';
// The demo's bundled taste, for `cargo xtask run --demo`: asks the running mock tinder.com
// (tests/mock/server.js --demo) for profiles of a seed of their own ("demo-taste", so the
// cards the demo shows are not among them), labels each with the mock's planted taste
// (outdoor bios liked, the rest passed), then puts the mock back on the demo's own stream.
//
//   node xtask/demo-taste.js --port 8443 --ca CA.pem --out DIR [--profiles 24]
//
// Writes DIR/recs-N.json (the mock's recs answers, with signed photo URLs valid for the
// demo) and DIR/labels.json ([{id, verdict}]). The mock must not have served the browser yet.

const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');

function args() {
  const o = { port: 8443, ca: null, out: null, profiles: 24 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const v = () => a[++i];
    if (a[i] === '--port') o.port = Number(v());
    else if (a[i] === '--ca') o.ca = v();
    else if (a[i] === '--out') o.out = v();
    else if (a[i] === '--profiles') o.profiles = Number(v());
    else throw new Error(`unknown option ${a[i]}`);
  }
  if (!o.out) throw new Error('--out DIR is needed');
  return o;
}

function request(o, method, host, urlPath, body, headers = {}) {
  const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: o.port, method, path: urlPath, servername: host,
      ...(o.ca ? { ca: fs.readFileSync(o.ca) } : { rejectUnauthorized: false }),
      headers: { Host: host, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}), ...headers },
      timeout: 15000,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`${method} ${host}${urlPath}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(new Error(`${method} ${host}${urlPath}: not JSON (${e.message})`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${host}${urlPath} timed out`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

async function main() {
  const o = args();
  fs.mkdirSync(o.out, { recursive: true });
  const mock = (m, p, b) => request(o, m, 'tinder.com', p, b);
  const config = await mock('GET', '/__mock/config');
  const seed = config.seed;
  const labels = [];
  let page = 0;
  await mock('POST', '/__mock/config', { seed: 'demo-taste' });
  try {
    while (labels.length < o.profiles && page < 20) {
      const recs = await request(o, 'GET', 'api.gotinder.com', '/v2/recs/core?locale=en', undefined, { 'X-Auth-Token': config.token });
      const results = ((recs.data && recs.data.results) || []).filter((r) => r.type === 'user' && !String(r.user._id).startsWith('tinder_rate_limited_id_'));
      if (!results.length) break;
      fs.writeFileSync(path.join(o.out, `recs-${page}.json`), JSON.stringify(recs));
      page++;
      for (const r of results) {
        const p = await mock('GET', `/__mock/profile?id=${encodeURIComponent(r.user._id)}`);
        labels.push({ id: r.user._id, verdict: p.planted === 'like' ? 'like' : 'nope' });
      }
    }
  } finally {
    await mock('POST', '/__mock/config', { seed });
    await mock('POST', '/__mock/reset');
  }
  fs.writeFileSync(path.join(o.out, 'labels.json'), JSON.stringify(labels, null, 1));
  const likes = labels.filter((l) => l.verdict === 'like').length;
  process.stdout.write(`${labels.length} profiles in ${page} pages: ${likes} like, ${labels.length - likes} nope\n`);
}

main().catch((e) => {
  process.stderr.write(`demo-taste: ${e.message}\n`);
  process.exit(1);
});
