// Popup loader: the popup itself is Rust/WebAssembly (popup_start).
import init, { popup_start } from './swipy_extension.js';

// The extension's version (the workspace version `cargo xtask build` writes into the manifest).
document.getElementById('version').textContent = chrome.runtime.getManifest().version;

init().then(() => popup_start(), (e) => {
  document.getElementById('conn-text').textContent = 'Swipy failed to load: ' + e;
});
