// Popup loader: the popup itself is Rust/WebAssembly (popup_start).
import init, { popup_start } from './swipy_extension.js';

init().then(() => popup_start(), (e) => {
  document.getElementById('conn-text').textContent = 'Swipy failed to load: ' + e;
});
