'use strict';
// Firefox driver: Debian's firefox-esr headless, driven over WebDriver BiDi (a websocket at
// ws://127.0.0.1:PORT/session). The add-on is installed with `webExtension.install`. Firefox has
// no host-resolver-rules: the profile's `network.dns.forceResolve` sends every name to 127.0.0.1,
// so the mock must listen on port 443.

const fs = require('node:fs');
const path = require('node:path');
const { spawnTracked, stopChild, withTimeout, CheckError, which, freePort, onCleanup } = require('./util');

function firefoxPath() {
  if (process.env.SWIPY_FIREFOX) return process.env.SWIPY_FIREFOX;
  for (const p of ['/usr/bin/firefox-esr', '/usr/bin/firefox']) if (fs.existsSync(p)) return p;
  return which('firefox-esr') || which('firefox');
}

const KEYS = { ArrowLeft: '\uE012', ArrowUp: '\uE013', ArrowRight: '\uE014', ArrowDown: '\uE015', Escape: '\uE00C', Enter: '\uE007', ' ': ' ' };

/** Minimal WebDriver BiDi client. */
class Bidi {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    ws.on('message', (data) => {
      let msg;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (msg.id !== undefined && this.pending.has(msg.id)) {
        const { resolve, reject, method } = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.type === 'error') reject(new CheckError(`BiDi ${method}: ${msg.error}: ${msg.message}`));
        else resolve(msg.result);
      } else if (msg.type === 'event') {
        for (const l of this.listeners) l(msg);
      }
    });
    ws.on('close', () => {
      for (const { reject, method } of this.pending.values()) reject(new CheckError(`BiDi ${method}: connection closed`));
      this.pending.clear();
    });
  }

  send(method, params = {}, timeout = 30000) {
    const id = this.nextId++;
    const p = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params }), (err) => {
        if (err) {
          this.pending.delete(id);
          reject(new CheckError(`BiDi ${method}: ${err.message}`));
        }
      });
    });
    return withTimeout(p, timeout, `BiDi ${method}`);
  }

  onEvent(fn) {
    this.listeners.push(fn);
  }

  close() {
    try {
      this.ws.close();
    } catch {
      // gone
    }
  }
}

function writeUserJs(profileDir, { addonId, addonUuid, proxyPort }) {
  const proxy = proxyPort ? {
    // The mock's CONNECT proxy instead of port 443 (when 443 is taken on this machine).
    'network.proxy.type': 1,
    'network.proxy.ssl': '127.0.0.1',
    'network.proxy.ssl_port': proxyPort,
    'network.proxy.http': '127.0.0.1',
    'network.proxy.http_port': proxyPort,
    'network.proxy.no_proxies_on': '',
    'network.proxy.allow_hijacking_localhost': true,
  } : {};
  const prefs = {
    'network.dns.forceResolve': '127.0.0.1',
    'network.trr.mode': 5,
    'network.proxy.type': 0,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'extensions.webextensions.uuids': JSON.stringify({ [addonId]: addonUuid }),
    'xpinstall.signatures.required': false,
    'extensions.autoDisableScopes': 0,
    'extensions.enabledScopes': 5,
    'extensions.update.enabled': false,
    'browser.shell.checkDefaultBrowser': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'browser.startup.page': 0,
    'browser.aboutwelcome.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'browser.safebrowsing.downloads.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'datareporting.healthreport.uploadEnabled': false,
    'toolkit.telemetry.enabled': false,
    'app.update.enabled': false,
    'app.normandy.enabled': false,
    'browser.region.network.url': '',
    'browser.search.geoip.url': '',
    'services.settings.server': 'https://127.0.0.1:9/',
    'remote.enabled': true,
    'layout.css.devPixelsPerPx': '1.0',
    ...proxy,
  };
  const lines = Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`);
  fs.writeFileSync(path.join(profileDir, 'user.js'), lines.join('\n') + '\n');
}

/**
 * Launches firefox-esr with a fresh profile, opens a BiDi session and installs `extDir` (or
 * none). `env` is the browser's environment (HOME decides where the native host manifest is read).
 * Returns a driver with the same shape as the Chromium one.
 */
async function launchFirefox({ profileDir, extDir, env = {}, addonId = 'swipy@swipy.app', addonUuid, proxyPort = null, log = () => {} }) {
  let WebSocket;
  try {
    WebSocket = require('ws');
  } catch (e) {
    throw new CheckError(`the ws package is not installed (run \`npm ci\` in tests/): ${e.message}`);
  }
  const exe = firefoxPath();
  if (!exe) throw new CheckError('firefox-esr is not installed (apt-get install -y firefox-esr)');
  const uuid = addonUuid || '4b5c6d7e-0000-4000-8000-000000000001';
  writeUserJs(profileDir, { addonId, addonUuid: uuid, proxyPort });
  const port = await freePort();
  const child = spawnTracked(exe, ['--headless', '--no-remote', '--profile', profileDir, '--remote-debugging-port', String(port), '--width', '1100', '--height', '820',
    // The tests open the add-on's own pages in a tab through the browser window (BiDi refuses
    // to navigate to moz-extension:// URLs); only with an add-on, and only in this test profile.
    ...(extDir ? ['--remote-allow-system-access'] : []), 'about:blank'], {
    env: { ...process.env, MOZ_HEADLESS: '1', MOZ_CRASHREPORTER_DISABLE: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(() => stopChild(child, 5000));
  const browserLog = [];
  const take = (d) => {
    for (const line of String(d).split('\n')) {
      if (!line) continue;
      browserLog.push(line);
      if (browserLog.length > 20000) browserLog.splice(0, 10000);
      log(line);
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  await withTimeout(new Promise((resolve, reject) => {
    const onData = (d) => {
      if (/WebDriver BiDi listening on ws:\/\//.test(String(d))) {
        child.stderr.off('data', onData);
        resolve();
      }
    };
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new CheckError(`firefox exited (${code}) before BiDi was ready: ${browserLog.slice(-20).join('\n')}`)));
    child.on('error', (e) => reject(new CheckError(`cannot start ${exe}: ${e.message}`)));
  }), 60000, 'firefox to open its WebDriver BiDi port');

  const ws = new WebSocket(`ws://127.0.0.1:${port}/session`, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  await withTimeout(new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', (e) => reject(new CheckError(`BiDi websocket: ${e.message}`)));
  }), 15000, 'connecting to WebDriver BiDi');
  const bidi = new Bidi(ws);
  await bidi.send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: true, unhandledPromptBehavior: { default: 'ignore' } } } });
  let extensionId = null;
  if (extDir) {
    const r = await bidi.send('webExtension.install', { extensionData: { type: 'path', path: extDir } });
    extensionId = r.extension;
  }
  const consoleLines = [];
  await bidi.send('session.subscribe', { events: ['log.entryAdded'] }).catch(() => {});
  bidi.onEvent((m) => {
    if (m.method === 'log.entryAdded') consoleLines.push(`[${m.params.level}] ${m.params.text}`);
  });
  const tree = await bidi.send('browsingContext.getTree', {});
  const context = tree.contexts[0].context;

  async function callFunction(fnSrc, argJson) {
    const r = await bidi.send('script.callFunction', {
      functionDeclaration: fnSrc, arguments: [{ type: 'string', value: argJson }], awaitPromise: true,
      target: { context }, resultOwnership: 'none',
    });
    if (r.type === 'exception') {
      const d = r.exceptionDetails || {};
      throw new CheckError(`page script failed: ${d.text || JSON.stringify(d).slice(0, 300)}`);
    }
    return r.result;
  }

  const driver = {
    name: 'firefox',
    bidi,
    extensionId,
    child,
    console: consoleLines,
    browserLog,
    async goto(url) {
      await bidi.send('browsingContext.navigate', { context, url, wait: 'complete' }, 30000);
    },
    async eval(fn, arg) {
      const src = `(async (argJson) => JSON.stringify(await (${fn.toString()})(JSON.parse(argJson))))`;
      const res = await callFunction(src, JSON.stringify(arg === undefined ? null : arg));
      return res && res.type === 'string' ? JSON.parse(res.value) : undefined;
    },
    async click(x, y) {
      await bidi.send('input.performActions', {
        context,
        actions: [{
          type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' },
          actions: [
            { type: 'pointerMove', x: Math.round(x), y: Math.round(y), duration: 0 },
            { type: 'pointerDown', button: 0 }, { type: 'pause', duration: 30 }, { type: 'pointerUp', button: 0 },
          ],
        }],
      });
      await bidi.send('input.releaseActions', { context }).catch(() => {});
    },
    async press(key) {
      const value = KEYS[key] || key;
      await bidi.send('input.performActions', {
        context,
        actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value }, { type: 'pause', duration: 20 }, { type: 'keyUp', value }] }],
      });
      await bidi.send('input.releaseActions', { context }).catch(() => {});
    },
    async screenshot(file) {
      const r = await bidi.send('browsingContext.captureScreenshot', { context });
      fs.writeFileSync(file, Buffer.from(r.data, 'base64'));
    },
    async reload() {
      await bidi.send('browsingContext.reload', { context, wait: 'complete' }, 30000);
    },
    /**
     * Opens `file` (one of the add-on's pages, e.g. `popup.html`) in a background tab, as a user
     * would from the toolbar, and returns its browsing context. WebDriver BiDi refuses to
     * navigate a tab to a moz-extension:// URL, so the browser window (system access) opens it.
     */
    async openExtensionPage(file) {
      if (!extDir) throw new CheckError('openExtensionPage: this Firefox has no add-on');
      const url = `moz-extension://${uuid}/${file}`;
      const chrome = await bidi.send('browsingContext.getTree', { 'moz:scope': 'chrome' });
      const win = chrome.contexts.find((c) => c.url === 'chrome://browser/content/browser.xhtml');
      if (!win) throw new CheckError(`no browser window among ${JSON.stringify(chrome.contexts.map((c) => c.url))}`);
      const r = await bidi.send('script.callFunction', {
        functionDeclaration: '(u) => { gBrowser.addTab(u, { triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal() }); }',
        arguments: [{ type: 'string', value: url }], awaitPromise: false, target: { context: win.context },
      });
      if (r.type === 'exception') throw new CheckError(`the browser window did not open ${url}: ${JSON.stringify(r.exceptionDetails).slice(0, 300)}`);
      return withTimeout((async () => {
        for (;;) {
          const tree = await bidi.send('browsingContext.getTree', {});
          const tab = tree.contexts.find((c) => c.url === url);
          if (tab) {
            const ready = await bidi.send('script.evaluate', { expression: 'document.readyState', awaitPromise: false, target: { context: tab.context } }).catch(() => null);
            if (ready && ready.result && ready.result.value === 'complete') return tab.context;
          }
          await new Promise((res) => setTimeout(res, 200));
        }
      })(), 30000, `${url} to load in a tab`);
    },
    async close() {
      await bidi.send('session.end', {}, 5000).catch(() => {});
      bidi.close();
      await stopChild(child, 5000);
    },
  };
  return driver;
}

module.exports = { launchFirefox, firefoxPath };
