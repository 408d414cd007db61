'use strict';
// Deterministic profile generation for the mock tinder.com.
//
// Profile number `i` of a stream depends only on (seed, i): the same seed always yields the
// same people, ids, bios and photos, so tests can reason about what the page showed.
// Photos come from the `openpeople` fixture (10 synthetic people x 6 JPEGs); one generated
// profile reuses one fixture person, and all photos of a profile are of that person.

const crypto = require('node:crypto');

// A small, fast, deterministic PRNG (mulberry32) seeded from a string.
function rng(seedText) {
  const h = crypto.createHash('sha256').update(String(seedText)).digest();
  let a = h.readUInt32LE(0);
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    hex: (n) => {
      let s = '';
      while (s.length < n) s += Math.floor(next() * 16).toString(16);
      return s;
    },
    uuid: () => {
      const x = () => Math.floor(next() * 16).toString(16);
      let s = '';
      for (const len of [8, 4, 4, 4, 12]) {
        if (s) s += '-';
        for (let k = 0; k < len; k++) s += x();
      }
      return s;
    },
  };
}

const FEMALE_NAMES = ['Anna', 'Lena', 'Sophie', 'Marie', 'Emma', 'Mia', 'Hannah', 'Laura', 'Julia', 'Lea',
  'Chloé', 'Zoë', 'Olivia', 'Sara', 'Noor', 'Amélie', 'Jana', 'Katharina', 'Ines', 'Maja'];
const MALE_NAMES = ['Lukas', 'Jonas', 'Felix', 'Max', 'Leon', 'Paul', 'Ben', 'Elias', 'Noah', 'David',
  'Tobias', 'Jan', 'Omar', 'Matthias', 'Luca', 'Jérôme', 'Finn', 'Moritz', 'Samuel', 'Erik'];

const BIOS_EN = [
  'Coffee first, adventures second. Looking for someone to explore new hiking trails with.',
  'Dog person 🐶 Amateur chef. Will judge you by your taste in music.',
  'Just moved here for work — show me your favourite bar?',
  'Bookworm, runner, bad at replying. Tell me the last thing that made you laugh.',
  'Nurse by day, climber by weekend. 5\'9" if that matters.',
  'Here for good conversation and maybe more.\nNot here for pen pals.',
  'Software engineer who still can\'t fix the printer. Ask me about my sourdough.',
  'Travel: 32 countries and counting ✈️ Next stop: Japan.',
  'Looking for my partner in crime for Sunday brunches.',
  'Plant parent 🌿 | yoga | terrible puns',
  'Happiest on a mountain ridge at sunrise. Weekends = hiking boots, a tent and no phone signal.',
  'Trail runner and bouldering addict 🧗 Looking for someone who likes the outdoors as much as I do.',
  'Ski season is my favourite season. Summer: kayaking and camping by the lake.',
];
const BIOS_DE = [
  'Kaffee-Junkie mit Liebe zu den Bergen. Wer kommt mit auf die nächste Wanderung?',
  'Hundemensch 🐕 Koche gern, esse noch lieber. Schreib mir dein Lieblingsrezept!',
  'Neu in der Stadt – zeig mir deine Lieblingskneipe?',
  'Bücherwurm, Läufer und schlecht im Antworten. Was hat dich zuletzt zum Lachen gebracht?',
  'Arbeite im Krankenhaus, liebe spontane Städtereisen. Größe: 1,72 m.',
  'Suche jemanden für lange Gespräche und kurze Nächte.\nKeine Brieffreundschaften.',
  'Ingenieur, Hobbybäcker, Fußballfan (leider Schalke).',
  'Reisen ist meine Therapie ✈️ Nächstes Ziel: Lissabon.',
  'Sonntags Brunch, montags Sport – meistens jedenfalls.',
  'Pflanzenfan 🌿 | Yoga | schlechte Wortwitze',
  'Am liebsten draußen: Klettern, Skitouren und Zelten in den Alpen ⛰️',
  'Wochenende heißt Wanderschuhe, Rucksack und ein Gipfel mit Aussicht.',
  'Radfahren, Kanu und Lagerfeuer – wer kommt mit in die Natur?',
];
// The planted preference of the tests and the demo: bios about the outdoors (mountains,
// hiking, climbing, camping). A model that reads bios can learn "likes the outdoors".
const OUTDOOR_BIOS = new Set([BIOS_EN[0], BIOS_EN[4], BIOS_EN[10], BIOS_EN[11], BIOS_EN[12],
  BIOS_DE[0], BIOS_DE[10], BIOS_DE[11], BIOS_DE[12]]);
const JOBS = [['Nurse', 'Charité'], ['Software Engineer', 'Zalando'], ['Teacher', ''], ['Architect', 'gmp'],
  ['Student', ''], ['Designer', 'Freelance'], ['Lawyer', ''], ['Barista', 'The Barn']];
const SCHOOLS = ['TU Berlin', 'LMU München', 'Universität Hamburg', 'King\'s College London', 'HU Berlin'];
const CITIES = ['Berlin', 'Hamburg', 'München', 'Köln', 'Leipzig'];
const INTERESTS = ['Hiking', 'Coffee', 'Travel', 'Yoga', 'Cooking', 'Photography', 'Climbing', 'Board games',
  'Running', 'Wine', 'Festivals', 'Dogs', 'Reading', 'Sushi'];
const DESCRIPTORS = [
  ['de_1', 'Zodiac', 'What is your zodiac sign?', ['Aries', 'Leo', 'Virgo', 'Pisces']],
  ['de_2', 'Education', 'What is your education level?', ['Bachelors', 'Masters', 'In College']],
  ['de_13', 'Communication Style', 'What is your communication style?', ['Big time texter', 'Phone caller']],
  ['de_22', 'Pets', 'Do you have any pets?', ['Dog', 'Cat', 'None']],
];
// The openpeople photos that look like profile photos (the sheets are collages).
const PHOTO_FILES = ['amateur_selfie.jpg', 'studio_portrait.jpg', 'amateur_posture.jpg', 'studio_posture.jpg'];
const SIZES = [[640, 800], [320, 400], [172, 216], [84, 106]];

/** The fixture people: [{id: "P001", sex: "female", ageRange: [35, 45]}]. */
function loadPeople(fixtureDir) {
  const fs = require('node:fs');
  const path = require('node:path');
  let dirs;
  try {
    dirs = fs.readdirSync(fixtureDir).filter((d) => /^P\d+$/.test(d)).sort();
  } catch (e) {
    throw new Error(`photo fixtures missing in ${fixtureDir} (run tests/fixtures/fetch-photos.sh): ${e.message}`);
  }
  const people = [];
  for (const d of dirs) {
    const meta = JSON.parse(fs.readFileSync(path.join(fixtureDir, d, 'metadata.json'), 'utf8'));
    const demo = (meta.character_details || {}).demographics || {};
    const range = String(demo.age_range || '25-35').split('-').map((n) => parseInt(n, 10));
    const files = PHOTO_FILES.filter((f) => fs.existsSync(path.join(fixtureDir, d, f)));
    if (files.length) people.push({ id: d, sex: demo.sex === 'male' ? 'male' : 'female', ageRange: range, files });
  }
  if (people.length === 0) throw new Error(`no photo fixtures in ${fixtureDir} (run tests/fixtures/fetch-photos.sh)`);
  return people;
}

/**
 * Profile number `index` for `seed`. Returns the parts that do not depend on time
 * (photo URLs are signed when served): {kind: 'user'|'other', id, person, photos: [{id, file}], user fields}.
 */
function profileAt(seed, index, people, opts = {}) {
  const r = rng(`${seed}/${index}`);
  const nonUserEvery = opts.nonUserEvery || 0;
  if (nonUserEvery > 0 && index % nonUserEvery === nonUserEvery - 1) {
    return { kind: 'other', index, id: `ad_${r.hex(16)}` };
  }
  const person = people[r.int(0, people.length - 1)];
  const female = person.sex === 'female';
  const id = r.hex(24);
  const name = r.pick(female ? FEMALE_NAMES : MALE_NAMES);
  const [lo, hi] = person.ageRange;
  const age = Math.max(18, r.int(lo, hi));
  const missingBirth = r.chance(0.1);
  const hideAge = !missingBirth && r.chance(0.1);
  // Birthday in the middle of a month, so the age shown does not flip during a test run.
  const now = new Date(opts.nowMs || Date.now());
  const birth = new Date(Date.UTC(now.getUTCFullYear() - age - 1, (now.getUTCMonth() + 1 + r.int(0, 9)) % 12, 15));
  const birthAge = ageFrom(birth.getTime(), now.getTime());
  let bio = '';
  const bioRoll = r.next();
  if (bioRoll >= 0.25) bio = bioRoll < 0.6 ? r.pick(BIOS_DE) : r.pick(BIOS_EN);
  const nPhotos = Math.min(person.files.length, r.int(2, 5));
  const start = r.int(0, person.files.length - 1);
  const photos = [];
  for (let k = 0; k < nPhotos; k++) {
    photos.push({
      id: r.uuid(),
      file: person.files[(start + k) % person.files.length],
      face: {
        width_pct: round(r.next() * 0.2 + 0.3), x_offset_pct: round(r.next() * 0.3 + 0.15),
        height_pct: round(r.next() * 0.15 + 0.2), y_offset_pct: round(r.next() * 0.15 + 0.1),
      },
    });
  }
  const job = r.chance(0.6) ? r.pick(JOBS) : null;
  const school = r.chance(0.4) ? r.pick(SCHOOLS) : null;
  const interests = [];
  const nInterests = r.chance(0.7) ? r.int(1, 5) : 0;
  while (interests.length < nInterests) {
    const it = r.pick(INTERESTS);
    if (!interests.includes(it)) interests.push(it);
  }
  const descriptors = [];
  for (const [did, dname, prompt, choices] of DESCRIPTORS) {
    if (r.chance(0.4)) descriptors.push({ did, dname, prompt, choice: r.pick(choices) });
  }
  const out = {
    kind: 'user', index, id, person: person.id, name, female,
    birthDate: missingBirth ? null : birth.toISOString(),
    age: missingBirth || hideAge ? null : birthAge, hideAge,
    bio, photos, job, school, city: r.chance(0.7) ? r.pick(CITIES) : null,
    distanceMi: r.int(1, 60), hideDistance: r.chance(0.1),
    interests, descriptors, sNumber: r.int(100000000, 999999999), contentHash: r.hex(40),
    topic: OUTDOOR_BIOS.has(bio) ? 'outdoors' : 'other',
  };
  // Drawn last, so the fields above stay what they were for a seed.
  // `s_number` has 16 digits today (below 2^53, so a JS number holds it exactly).
  out.sNumber = r.int(1000000, 9007198) * 1e9 + r.int(0, 999999999);
  // Where Tinder found no face, `crop_info` has no `user`, `algo` or `faces`.
  for (const ph of photos) ph.noFace = r.chance(0.15);
  return out;
}

function ageFrom(birthMs, nowMs) {
  const b = new Date(birthMs);
  const n = new Date(nowMs);
  let age = n.getUTCFullYear() - b.getUTCFullYear();
  if (n.getUTCMonth() < b.getUTCMonth() || (n.getUTCMonth() === b.getUTCMonth() && n.getUTCDate() < b.getUTCDate())) age--;
  return age;
}

function round(x) {
  return Math.round(x * 1000) / 1000;
}

/** A recs/core `results[]` entry in Tinder's shape; `sign(photo, size)` gives a signed URL. */
function toResult(p, sign) {
  if (p.kind !== 'user') {
    return {
      type: 'ad', ad: { id: p.id, ad_type: 'native_display', creative: { title: 'Tinder Gold', body: 'See who likes you' } },
    };
  }
  const photos = p.photos.map((ph, rank) => ({
    id: ph.id,
    crop_info: ph.noFace ? { processed_by_bullseye: true, user_customized: false } : {
      user: { width_pct: 1, x_offset_pct: 0, height_pct: 0.8, y_offset_pct: 0.1 },
      algo: { width_pct: ph.face.width_pct, x_offset_pct: ph.face.x_offset_pct, height_pct: ph.face.height_pct, y_offset_pct: ph.face.y_offset_pct },
      processed_by_bullseye: true, user_customized: false,
      faces: [{ algo: ph.face, bounding_box_percentage: round(ph.face.width_pct * ph.face.height_pct * 100) }],
    },
    url: sign(p, ph, 'original'),
    processedFiles: SIZES.map(([w, h]) => ({ url: sign(p, ph, `${w}x${h}`), height: h, width: w })),
    fileName: `${ph.id}.jpg`, extension: 'jpg,webp', webp_qf: [75], rank, score: round(0.9 - rank * 0.1), win_count: 10 - rank,
    processedVideos: [], assets: [], type: 'image', media_type: 'image',
  }));
  const user = {
    _id: p.id, badges: [], bio: p.bio, name: p.name, photos,
    gender: p.female ? 1 : 0,
    jobs: p.job ? [{ title: { name: p.job[0] }, ...(p.job[1] ? { company: { name: p.job[1] } } : {}) }] : [],
    schools: p.school ? [{ name: p.school }] : [],
    is_traveling: false, hide_age: p.hideAge, hide_distance: p.hideDistance,
    online_now: p.index % 3 === 0, recently_active: p.index % 2 === 0,
    selected_descriptors: p.descriptors.map((d) => ({
      id: d.did, name: d.dname, prompt: d.prompt, type: 'single_selection_set',
      choice_selections: [{ id: `${d.did}_c`, name: d.choice }],
    })),
  };
  if (p.birthDate) user.birth_date = p.birthDate;
  if (p.city) user.city = { name: p.city };
  const teasers = [];
  if (p.job) teasers.push({ type: 'job', string: p.job[1] ? `${p.job[0]} at ${p.job[1]}` : p.job[0] });
  if (p.school) teasers.push({ type: 'school', string: p.school });
  const result = {
    type: 'user', user,
    instagram: { last_fetch_time: '2026-01-01T00:00:00.000Z', completed_initial_fetch: true, photos: [], media_count: 0 },
    facebook: { common_connections: [], connection_count: 0, common_interests: [] },
    spotify: { spotify_connected: false },
    distance_mi: p.distanceMi, content_hash: p.contentHash, s_number: p.sNumber,
    teaser: teasers[0] || { string: '' }, teasers, is_superlike_upsell: false,
  };
  if (p.interests.length) {
    result.experiment_info = {
      user_interests: { selected_interests: p.interests.map((n) => ({ id: `it_${n.toLowerCase().replace(/\W/g, '')}`, name: n })) },
    };
  }
  return result;
}

/** The planted taste: like profiles whose bio is about the outdoors, pass the rest. */
function plantedVerdict(p) {
  return p && p.topic === 'outdoors' ? 'like' : 'nope';
}

/** A rate-limit pseudo-user, as Tinder puts into recs for a rate-limited account. */
function rateLimitedResult(seed, n) {
  const r = rng(`${seed}/rate-limited/${n}`);
  return {
    type: 'user', user: { _id: `tinder_rate_limited_id_${r.hex(8)}`, name: 'Tinder', bio: '', photos: [], birth_date: null },
    distance_mi: 0, content_hash: r.hex(40), s_number: 0,
  };
}

/**
 * Match number `i` made before this session, with a conversation (the `message=1` list):
 * a person the page never showed as a card.
 */
function conversationMatch(seed, i, userId) {
  const r = rng(`${seed}/conversation/${i}`);
  const id = r.hex(24);
  const name = r.pick(r.chance(0.5) ? FEMALE_NAMES : MALE_NAMES);
  const created = new Date(Date.UTC(2026, 0, 1) + r.int(0, 200) * 86400000).toISOString();
  return {
    _id: `${userId}${id}`, id: `${userId}${id}`, closed: false, common_friend_count: 0, common_like_count: 0,
    created_date: created, dead: false, last_activity_date: created, message_count: 2,
    messages: [{ _id: r.hex(24), match_id: `${userId}${id}`, sent_date: created, message: 'Hey!', to: userId, from: id, timestamp: Date.parse(created) }],
    participants: [userId, id], pending: false, is_super_like: false, is_boost_match: false, is_super_boost_match: false,
    is_experiences_match: false, following: true, following_moments: true,
    person: { _id: id, name, photos: [] },
  };
}

module.exports = { rng, loadPeople, profileAt, toResult, ageFrom, plantedVerdict, rateLimitedResult, conversationMatch, SIZES, OUTDOOR_BIOS };
