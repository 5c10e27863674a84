// Small DOM and formatting helpers for the recorder's widgets. No framework: each widget
// builds its elements with h() and updates them in place.

import { _ } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "style") el.style.cssText = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// 0:00 .. 59:59, then 1:00:00: the time into the lesson.
export function clock(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

const TIME = new Intl.DateTimeFormat("nl-NL", { hour: "2-digit", minute: "2-digit",
                                                timeZone: "Europe/Amsterdam" });
const DATE = new Intl.DateTimeFormat("nl-NL", { weekday: "long", day: "numeric",
                                                month: "long", timeZone: "Europe/Amsterdam" });

export const timeOfDay = (iso) => TIME.format(new Date(iso));
export const dayOf = (iso) => DATE.format(new Date(iso));

// "2 min", "1 uur", "3 dagen": how long the oldest unsynced change has waited.
export function age(ms) {
  const minutes = Math.floor(ms / 60000);
  if (minutes < 1) return _("< 1 min");
  if (minutes < 60) return _("{n} min", { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return _("{n} uur", { n: hours });
  return _("{n} dagen", { n: Math.floor(hours / 24) });
}

export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// A modal question with large buttons; resolves with the chosen value (or null on cancel).
export function ask({ title, text, choices }) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "rec-dialog", "aria-labelledby": "dialog-title" },
      h("h2", { id: "dialog-title" }, title),
      text ? h("p", {}, text) : null,
      h("div", { class: "rec-dialog-actions" },
        choices.map(({ label, value, kind = "secondary" }) =>
          h("button", { type: "button", class: `button ${kind}`, "data-choice": String(value),
                        onclick: () => { dialog.close(); resolve(value); } }, label))));
    dialog.addEventListener("cancel", () => resolve(null));
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  });
}
