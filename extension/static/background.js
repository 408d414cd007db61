// Swipy background (Chromium: MV3 module service worker; Firefox: module background
// script). A loader only: the brain is Rust compiled to WebAssembly.
// Listeners are registered synchronously at the top level (a service worker only gets
// events for listeners added in its first turn); events are queued until the WebAssembly
// module is ready, then handed to Rust in order.
import init, { worker_start, worker_event, worker_debug, worker_request, worker_recover, worker_test_trap } from './swipy_extension.js';

const BROWSER = typeof navigator !== 'undefined' && /firefox/i.test(navigator.userAgent) ? 'firefox' : 'chrome';
const queue = [];
let ready = false;
let nextPort = 1;

function deliver(kind, id, payload) {
  if (!ready) {
    queue.push([kind, id, payload]);
    return;
  }
  try {
    worker_event(kind, id, payload);
  } catch (e) {
    // A trap in the brain: it starts again from storage (ports reconnect by themselves).
    console.error('swipy: event failed', kind, e);
    try {
      worker_recover();
    } catch (e2) {
      console.error('swipy: recovery failed', e2);
    }
  }
}

// Powers by sender, not by port name: `popup` and `dashboard` ports (auto-swipe, presets,
// host settings) only from the extension's own pages; `tab` ports only from a tinder.com
// tab's content script.
function ownPage(sender) {
  return Boolean(sender) && typeof sender.url === 'string' && sender.url.startsWith(chrome.runtime.getURL(''));
}
function tinderTab(sender) {
  return Boolean(sender && sender.tab) && typeof sender.url === 'string' && sender.url.startsWith('https://tinder.com/') && !ownPage(sender);
}
const PORT_ALLOWED = { tab: tinderTab, popup: ownPage, dashboard: ownPage };

chrome.runtime.onConnect.addListener((port) => {
  const allowed = Object.prototype.hasOwnProperty.call(PORT_ALLOWED, port.name) && PORT_ALLOWED[port.name];
  if (!port.sender || port.sender.id !== chrome.runtime.id || !allowed || !allowed(port.sender)) {
    port.disconnect();
    return;
  }
  const id = nextPort++;
  deliver('connect', id, port);
  port.onMessage.addListener((msg) => {
    // The worker reads JSON text, checked against the host's caps before it is parsed.
    let text;
    try {
      text = JSON.stringify(msg);
    } catch (e) {
      console.warn('swipy: refused an unreadable port message', String(e));
      return;
    }
    if (typeof text === 'string') deliver('message', id, text);
  });
  port.onDisconnect.addListener(() => deliver('disconnect', id, null));
});

chrome.runtime.onStartup.addListener(() => deliver('startup', 0, null));

// One-shot requests from extension pages and tests: {kind: "debug_state"} and the
// auto-swipe hooks {kind: "autoswipe_state" | "autoswipe_enable" | "autoswipe_set" |
// "autoswipe_preset"} (see README). Only extension pages may send them (not content scripts).
const REQUESTS = new Set(['autoswipe_state', 'autoswipe_enable', 'autoswipe_set', 'autoswipe_preset']);
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !ownPage(sender) || !msg || typeof msg.kind !== 'string') return false;
  if (msg.kind === 'debug_state') {
    started.then(() => sendResponse(worker_debug()), (e) => sendResponse({ error: String(e) }));
    return true;
  }
  if (REQUESTS.has(msg.kind)) {
    started.then(() => sendResponse(worker_request(msg)), (e) => sendResponse({ ok: false, error: String(e) }));
    return true;
  }
  return false;
});

const started = init()
  .then(() => worker_start(BROWSER))
  .then(() => {
    ready = true;
    for (const [kind, id, payload] of queue.splice(0)) deliver(kind, id, payload);
  });
started.catch((e) => console.error('swipy: the worker failed to start', e));

// For tests and the worker console: `await swipy.state()`, `await swipy.outbox()`,
// `swipy.trap()` (a trap inside the brain: the worker starts again from storage).
globalThis.swipy = {
  started,
  state: async () => {
    await started;
    return worker_debug();
  },
  autoswipe: async (msg) => {
    await started;
    return worker_request(msg || { kind: 'autoswipe_state' });
  },
  trap: () => {
    try {
      worker_test_trap();
    } catch (e) {
      worker_recover();
      return String(e);
    }
    return 'no trap';
  },
  outbox: async () => {
    const all = await chrome.storage.local.get(null);
    return Object.keys(all)
      .filter((k) => k.startsWith('outbox:'))
      .map((k) => all[k])
      .sort((a, b) => a.seq - b.seq);
  },
};
