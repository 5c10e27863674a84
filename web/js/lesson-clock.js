// The lesson clock (it runs on through a pause) and the interval cue.

import { _ } from "./i18n.js";
import { clock, h } from "./ui.js";

export function lessonClock({ started, root, state }) {
  const clockEl = h("span", { class: "rec-clock", "aria-label": _("Lestijd"), role: "timer" });
  const cueEl = h("span", { class: "rec-cue", "aria-live": "polite" });
  let cueIndex = null;
  function tick() {
    const elapsed = Date.now() - started;
    const text = clock(elapsed);
    if (clockEl.textContent !== text) clockEl.textContent = text;
    const { cue, paused } = state();
    if (!cue) return;
    // Intervals that pass during a pause (or before a reload) go by without a cue.
    const index = Math.floor(elapsed / (cue * 60000));
    if (cueIndex !== null && index > cueIndex && !paused) {
      cueEl.textContent = _("Interval {n}: codeer wat je nu ziet", { n: index });
      root.classList.add("rec-cueing");
      navigator.vibrate?.(150);
      setTimeout(() => { root.classList.remove("rec-cueing"); cueEl.textContent = ""; }, 4000);
    }
    cueIndex = index;
  }
  const timer = setInterval(tick, 250);
  tick();
  return { clockEl, cueEl, stop: () => clearInterval(timer) };
}
