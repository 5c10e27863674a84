// The top of the lesson screen: who, the clock, the phase; the views, explain, pause and end.

import { _ } from "./i18n.js";
import { h } from "./ui.js";

export function lessonBar({ observation, teacher, cue, clock, focusCount, on }) {
  const phases = observation.phases.map((phase) =>
    h("button", { type: "button", class: "rec-phase", "data-phase": phase,
                  onclick: () => on.phase(phase) }, phase));
  const bar = h("div", { class: "rec-lessonbar" },
    h("div", { class: "rec-who" },
      clock.clockEl,
      h("span", { class: "rec-what" },
        h("strong", {}, teacher?.name ?? _("Docent")),
        h("span", {}, [observation.group_label, observation.subject].filter(Boolean)
          .join(" · ")),
        cue ? h("span", { class: "rec-muted" }, _("signaal elke {n} min", { n: cue })) : null,
        clock.cueEl)),
    h("div", { class: "rec-phases", role: "group", "aria-label": _("Lesfase") }, phases));
  const tabs = lessonTabs({ focusCount, on });
  return {
    bar, tabs: tabs.el,
    paint({ ui, explaining, showFocus }) {
      tabs.paint({ ui, explaining, showFocus });
      for (const b of phases) b.setAttribute("aria-pressed", String(b.dataset.phase === ui.phase));
    },
  };
}

function lessonTabs({ focusCount, on }) {
  const viewFocus = h("button", { type: "button", class: "rec-tab", "data-action": "view-focus",
                                  onclick: () => on.view("focus") },
                      _("Focus ({n})", { n: focusCount }));
  const viewAll = h("button", { type: "button", class: "rec-tab", "data-action": "view-all",
                                onclick: () => on.view("all") },
                    _("Alle codes"));
  const explain = h("button", {
    type: "button", class: "rec-tab", "data-action": "explain",
    title: _("Tik daarna op een code om te lezen wat ermee bedoeld wordt"),
    onclick: () => on.explain(),
  }, _("Uitleg"));
  const pause = h("button", { type: "button", class: "button secondary",
                              "data-action": "pause", onclick: () => on.pause() });
  const el = h("div", { class: "rec-tabs" },
    focusCount ? viewFocus : null, viewAll, explain,
    h("div", { class: "rec-lesson-actions" },
      pause,
      h("button", { type: "button", class: "button primary", "data-action": "end",
                    onclick: () => on.end() }, _("Les beëindigen"))));
  return {
    el,
    paint({ ui, explaining, showFocus }) {
      viewFocus.setAttribute("aria-pressed", String(showFocus));
      viewAll.setAttribute("aria-pressed", String(!showFocus));
      explain.setAttribute("aria-pressed", String(explaining));
      pause.textContent = ui.paused ? _("Hervatten") : _("Pauzeren");
    },
  };
}
