'use strict';
// The `swipy` host as the tests see it: its CLI (install, stats, export) and its process
// (found by the data dir in its environment, so a test can kill it).

const fs = require('node:fs');
const path = require('node:path');
const { ROOT, run, CheckError } = require('./util');

function swipyBin() {
  if (process.env.SWIPY_BIN) return path.resolve(process.env.SWIPY_BIN);
  return path.join(ROOT, 'target', 'debug', 'swipy');
}

function swipy(dataDir, args, { env = {}, timeout = 60000 } = {}) {
  return run(swipyBin(), ['--data-dir', dataDir, ...args], { env: { ...process.env, ...env }, timeout });
}

/**
 * A script to register instead of the binary: it execs `swipy` (same process, same argv[0]
 * basename) with stderr appended to `stderrFile`, so tests can read exactly what the host wrote
 * to stderr in either browser. While the file `downFlag` exists it fails at once instead (a host
 * that is down), so a test can keep the host away for a while.
 */
function stderrWrapper(dir, stderrFile, downFlag) {
  const wrapper = path.join(dir, 'swipy-host-wrapper.sh');
  const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;
  fs.writeFileSync(wrapper, [
    '#!/bin/sh',
    `if [ -e ${q(downFlag)} ]; then echo "swipy test wrapper: host kept down by the test" >&2; exit 1; fi`,
    `exec ${q(swipyBin())} "$@" 2>>${q(stderrFile)}`,
    '',
  ].join('\n'), { mode: 0o755 });
  return wrapper;
}

/** `swipy install` for Chromium into a --user-data-dir profile. */
async function installChromium(dataDir, profileDir, extId, hostPath) {
  await swipy(dataDir, ['install', '--browser', 'chromium', '--user-data-dir', profileDir, '--extension-id', extId, ...(hostPath ? ['--host-path', hostPath] : [])]);
  const manifest = path.join(profileDir, 'NativeMessagingHosts', 'com.swipy.host.json');
  if (!fs.existsSync(manifest)) throw new CheckError(`swipy install did not write ${manifest}`);
  return JSON.parse(fs.readFileSync(manifest, 'utf8'));
}

/** `swipy install --browser firefox` with HOME=home (Firefox reads ~/.mozilla/native-messaging-hosts). */
async function installFirefox(dataDir, home, hostPath) {
  await swipy(dataDir, ['install', '--browser', 'firefox', ...(hostPath ? ['--host-path', hostPath] : [])], { env: { HOME: home } });
  const manifest = path.join(home, '.mozilla', 'native-messaging-hosts', 'com.swipy.host.json');
  if (!fs.existsSync(manifest)) throw new CheckError(`swipy install --browser firefox did not write ${manifest}`);
  return JSON.parse(fs.readFileSync(manifest, 'utf8'));
}

async function stats(dataDir) {
  const { stdout } = await swipy(dataDir, ['stats', '--json']);
  try {
    return JSON.parse(stdout);
  } catch (e) {
    throw new CheckError(`swipy stats --json printed no JSON: ${stdout.slice(0, 300)}`);
  }
}

/** `swipy export --format jsonl` as a Map id → row. */
async function exportRows(dataDir) {
  const { stdout } = await swipy(dataDir, ['export', '--format', 'jsonl']);
  const rows = new Map();
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    let row;
    try {
      row = JSON.parse(line);
    } catch {
      throw new CheckError(`swipy export printed a line that is not JSON: ${line.slice(0, 200)}`);
    }
    rows.set(row.id, row);
  }
  return rows;
}

/** The label of an export row as {verdict, source} (null when unlabelled). */
function labelOf(row) {
  if (!row || row.label === null || row.label === undefined) return null;
  if (typeof row.label === 'object') return { verdict: row.label.verdict || row.label.label, source: row.label.source };
  return { verdict: row.label, source: row.label_source };
}

/** Pids of `swipy` processes whose environment has SWIPY_HOME=dataDir (the browser-started host). */
function hostPids(dataDir) {
  const want = `SWIPY_HOME=${dataDir}`;
  const pids = [];
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (path.basename(cmd[0] || '') !== 'swipy') continue;
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // zombie: already dead
      const env = fs.readFileSync(`/proc/${e}/environ`, 'utf8').split('\0');
      if (env.includes(want)) pids.push(Number(e));
    } catch {
      // gone or not ours
    }
  }
  return pids;
}

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

module.exports = { swipyBin, swipy, stderrWrapper, installChromium, installFirefox, stats, exportRows, labelOf, hostPids, alive };
