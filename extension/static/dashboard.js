// Dashboard loader: the dashboard itself is Rust/WebAssembly (dashboard_start).
import init, { dashboard_start } from './swipy_extension.js';

init().then(() => dashboard_start(), (e) => {
  document.getElementById('dash-conn-text').textContent = 'Swipy failed to load: ' + e;
});
