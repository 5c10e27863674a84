// What every server-rendered page does in the browser (app/templates/base.html). The pages
// work without it. It is a file, not an inline script, because the Content-Security-Policy
// runs no inline script and no on...= attribute (app/headers.py).

import { register, watchForUpdates } from "/static/js/pwa.js";

// Any visit online installs the service worker, so the recording screen then works offline.
register();
watchForUpdates({ container: document.getElementById("update") });

for (const button of document.querySelectorAll("[data-action=print]")) {
  button.addEventListener("click", () => window.print());
}
