'use strict';
// Browserless checks of the mock's API for `cargo xtask run --demo`: enough deterministic
// profiles, the planted taste, rate-limit pseudo-users, /v2/matches reflecting the matches made.

const U = require('./util');
const { startMock } = require('./mock');

async function api(mock, method, urlPath, body) {
  const r = await mock.request(method, 'api.gotinder.com', urlPath, body, { 'X-Auth-Token': mock.token });
  U.assert(r.status === 200 && r.json, `${method} ${urlPath}: HTTP ${r.status}`);
  return r.json;
}

/** Every recs page until the mock runs out (or `max` pages): {ids, pseudo, pages}. */
async function drain(mock, max) {
  const ids = [];
  let pseudo = 0;
  let pages = 0;
  for (; pages < max; pages++) {
    const j = await api(mock, 'GET', '/v2/recs/core?locale=en');
    const results = (j.data && j.data.results) || [];
    if (!results.length) break;
    for (const r of results) {
      if (r.type !== 'user') continue;
      if (String(r.user._id).startsWith('tinder_rate_limited_id_')) pseudo++;
      else ids.push(r.user._id);
    }
  }
  return { ids, pseudo, pages };
}

async function demoChecks() {
  await U.check('mock --demo: 600 deterministic profiles, a planted taste, rate-limit pseudo-users now and then', async () => {
    const a = await startMock({ args: ['--demo'] });
    const b = await startMock({ args: ['--demo'] });
    try {
      const ra = await drain(a, 200);
      const rb = await drain(b, 200);
      U.assert(ra.ids.length >= 500, `the demo served only ${ra.ids.length} profiles`);
      U.assert(new Set(ra.ids).size === ra.ids.length, 'the demo served an id twice');
      U.assert(JSON.stringify(ra.ids) === JSON.stringify(rb.ids), 'two demo mocks served different profiles (not deterministic)');
      U.assert(ra.pseudo >= 2, `only ${ra.pseudo} rate-limit pseudo-users in ${ra.pages} pages`);
      const cfg = await a.config();
      U.assert(cfg.debug === false, 'the demo runs in debug mode (cards would carry data-profile-id)');
      let outdoors = 0;
      for (const id of ra.ids.slice(0, 80)) if ((await a.profile(id)).planted === 'like') outdoors++;
      U.assert(outdoors >= 10 && outdoors <= 40, `${outdoors} of 80 profiles have the planted taste`);
      return `${ra.ids.length} profiles in ${ra.pages} pages, ${ra.pseudo} pseudo-users, ${outdoors}/80 outdoors`;
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  await U.check('mock: no rate-limit pseudo-users unless asked; /v2/matches lists the matches made, newest first', async () => {
    const m = await startMock({ args: ['--match-every', '2'] });
    try {
      const r = await drain(m, 6);
      U.assert(r.pseudo === 0, `${r.pseudo} pseudo-users without --rate-limit-every`);
      const liked = r.ids.slice(0, 4);
      const matched = [];
      for (const id of liked) {
        const j = await api(m, 'POST', `/like/${id}`, { s_number: 1 });
        if (j.match) matched.push(id);
      }
      U.assert(JSON.stringify(matched) === JSON.stringify([liked[1], liked[3]]), `matches ${matched} for likes ${liked} with match_every 2`);
      const j = await api(m, 'GET', '/v2/matches?count=60');
      const people = j.data.matches.map((x) => x.person._id);
      U.assert(JSON.stringify(people) === JSON.stringify(matched.slice().reverse()), `/v2/matches lists ${people}, expected ${matched.slice().reverse()}`);
      const unauth = await m.request('GET', 'api.gotinder.com', '/v2/matches?count=60');
      U.assert(unauth.status === 401, `/v2/matches without the token: HTTP ${unauth.status}`);
      return `${matched.length} matches listed`;
    } finally {
      await m.stop();
    }
  });
}

module.exports = { demoChecks };
