// Dashboard loader: the dashboard itself is Rust/WebAssembly (dashboard_start).
import init, { dashboard_start } from './swipy_extension.js';

// The extension's version (the workspace version `cargo xtask build` writes into the manifest).
document.getElementById('dash-version').textContent = chrome.runtime.getManifest().version;

init().then(() => dashboard_start(), (e) => {
  document.getElementById('dash-conn-text').textContent = 'Swipy failed to load: ' + e;
});
