'use strict';
// Shared helpers of the E2E drivers: check reporting, waiting with clear messages, child
// processes that are always killed at exit, free ports, temp dirs.

const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');
const CI = /^(1|true|yes)$/i.test(process.env.CI || '');

// ---------------------------------------------------------------------------------------------
// reporting: one line per check

const results = [];

function fmtMs(ms) {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Runs one check; never throws. Returns true when it passed. */
async function check(name, fn) {
  if (exiting) return false;
  const t0 = Date.now();
  try {
    const note = await fn();
    const extra = typeof note === 'string' && note ? ` — ${note}` : '';
    results.push({ name, ok: true });
    console.log(`ok   ${name}${extra} (${fmtMs(Date.now() - t0)})`);
    return true;
  } catch (e) {
    results.push({ name, ok: false, error: e });
    console.log(`FAIL ${name}: ${e && e.message ? e.message : e} (${fmtMs(Date.now() - t0)})`);
    if (process.env.SWIPY_E2E_VERBOSE && e && e.stack) console.log(e.stack);
    return false;
  }
}

/** A check that did not run: fails under CI, is a clear skip otherwise. */
function skip(name, why) {
  if (CI) {
    results.push({ name, ok: false, error: new Error(why) });
    console.log(`FAIL ${name}: ${why} (CI=true: a missing prerequisite is a failure)`);
  } else {
    results.push({ name, ok: true, skipped: true });
    console.log(`skip ${name}: ${why}`);
  }
}

function summary() {
  const failed = results.filter((r) => !r.ok);
  const skipped = results.filter((r) => r.skipped);
  const passed = results.length - failed.length - skipped.length;
  return { failed, skipped, passed, total: results.length };
}

class CheckError extends Error {}

function assert(cond, message) {
  if (!cond) throw new CheckError(message);
}

// ---------------------------------------------------------------------------------------------
// waiting

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value; throws `timed out after N s: <what>` otherwise.
 * `what` may be a function returning a description of the last state (for clear failures).
 */
async function waitFor(fn, { timeout = 15000, interval = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const desc = typeof what === 'function' ? await Promise.resolve().then(what).catch((e) => `(${e.message})`) : what;
      throw new CheckError(`timed out after ${fmtMs(timeout)} waiting for ${desc}${lastErr ? ` (last error: ${lastErr.message})` : ''}`);
    }
    await sleep(interval);
  }
}

/** Rejects with a clear message when `promise` takes longer than `ms`. */
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new CheckError(`timed out after ${fmtMs(ms)}: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// processes and cleanup

const cleanups = [];
const children = new Set();
const tempDirs = new Set();
let exiting = false;

/** Registers a cleanup step (run in reverse order at exit, even on failure or Ctrl-C). */
function onCleanup(fn) {
  cleanups.push(fn);
}

async function runCleanups() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await withTimeout(Promise.resolve().then(fn), 15000, 'cleanup step');
    } catch (e) {
      console.log(`warn cleanup: ${e.message}`);
    }
  }
  for (const c of children) killTree(c, 'SIGKILL');
}

/** Spawns a process in its own process group; it is killed at exit whatever happens. */
function spawnTracked(cmd, args, options = {}) {
  const child = spawn(cmd, args, { detached: true, ...options });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.on('error', () => children.delete(child));
  return child;
}

function killTree(child, signal = 'SIGTERM') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
async function stopChild(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  killTree(child, 'SIGTERM');
  const timer = setTimeout(() => killTree(child, 'SIGKILL'), graceMs);
  await Promise.race([gone, sleep(graceMs + 2000)]);
  clearTimeout(timer);
}

function installExitHandlers() {
  const bail = async (sig) => {
    if (exiting) return;
    exiting = true;
    console.log(`\n${sig}: stopping browsers and the mock`);
    for (const c of children) killTree(c, 'SIGTERM');
    await Promise.race([runCleanups(), sleep(10000)]);
    process.exit(130);
  };
  process.on('SIGINT', () => bail('SIGINT'));
  process.on('SIGTERM', () => bail('SIGTERM'));
  process.on('exit', () => {
    for (const c of children) killTree(c, 'SIGKILL');
    if (!process.env.SWIPY_E2E_KEEP) {
      for (const d of tempDirs) {
        try {
          fs.rmSync(d, { recursive: true, force: true });
        } catch {
          // best effort
        }
      }
    }
  });
}

/** Runs `cmd args` and collects output; rejects with stderr on a non-zero exit. */
function run(cmd, args, { env, cwd, timeout = 60000, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env || process.env, cwd: cwd || ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new CheckError(`${path.basename(cmd)} ${args.join(' ')} timed out after ${fmtMs(timeout)}`));
    }, timeout);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CheckError(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout: out, stderr: err });
      else reject(new CheckError(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}: ${(err || out).trim().slice(0, 2000)}`));
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a port can be listened on right now. */
function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A fresh temp dir, removed at exit unless SWIPY_E2E_KEEP is set. */
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `swipy-e2e-${prefix}-`));
  tempDirs.add(dir);
  onCleanup(() => {
    if (process.env.SWIPY_E2E_KEEP) {
      console.log(`note kept ${dir}`);
      return;
    }
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    tempDirs.delete(dir);
  });
  return dir;
}

function which(bin) {
  for (const dir of (process.env.PATH || '').split(':')) {
    const p = path.join(dir || '.', bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

/** Every regular file below `dir` (no symlinks followed). */
function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Files under `dirs` whose bytes contain `needle` (also as UTF-16LE, as browsers store strings). */
function filesContaining(dirs, needle) {
  const hits = [];
  const a = Buffer.from(needle, 'utf8');
  const b = Buffer.from(needle, 'utf16le');
  for (const dir of dirs) {
    for (const f of listFiles(dir)) {
      let buf;
      try {
        buf = fs.readFileSync(f);
      } catch {
        continue;
      }
      if (buf.includes(a) || buf.includes(b)) hits.push(f);
    }
  }
  return hits;
}

function ensureArtifacts() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

module.exports = {
  ROOT, ARTIFACTS, CI, check, skip, summary, assert, CheckError, sleep, waitFor, withTimeout,
  onCleanup, runCleanups, spawnTracked, killTree, stopChild, installExitHandlers, run, freePort, portFree,
  tempDir, which, listFiles, filesContaining, ensureArtifacts, fmtMs,
};
