// The installable app: registers the service worker and offers an update when one waits.
//
// A new version never interrupts a lesson (design.md, "Sync: the guarantees", 9). The new
// worker installs next to the old one and waits; the offer to update is shown only while no
// lesson is running, and the worker takes over only when the person taps "Nu bijwerken". Then,
// and only then, this page reloads on `controllerchange` (the first install's clients.claim()
// fires that event too, and must not reload anything).
//
// A lesson is running while localStorage["coulisse:running-lesson"] is non-empty. The recorder
// sets it and dispatches the window event "coulisse:lesson-changed" when a lesson starts or
// ends; other tabs hear of it through the `storage` event.

import { _ } from "./i18n.js";

export const RUNNING_LESSON = "coulisse:running-lesson";
export const LESSON_CHANGED = "coulisse:lesson-changed";
const CHECK_EVERY = 30 * 60 * 1000;

let registering = null;
let registration = null;

// Registers /service-worker.js for the whole site. Safe to call more than once.
// Resolves with the registration, or null where service workers are missing or failed.
export function register() {
  if (!("serviceWorker" in navigator)) return Promise.resolve(null);
  registering ??= navigator.serviceWorker
    .register("/service-worker.js", { scope: "/" })
    .then((reg) => {
      registration = reg;
      claimWhenActive();
      return reg;
    })
    .catch((error) => {
      console.error("Coulisse: service worker not registered", error);
      return null;
    });
  return registering;
}

// A page that loaded while the first worker was activating missed that worker's
// clients.claim() and stays uncontrolled until a reload: its later requests (a lazily loaded
// file, say) would then fail offline. It asks the active worker to claim it.
function claimWhenActive() {
  navigator.serviceWorker.ready.then((ready) => {
    if (!navigator.serviceWorker.controller) ready.active?.postMessage({ type: "claim" });
  });
}

// True when a new version is installed and waits behind the one in use.
export function updateWaiting() {
  return Boolean(registration?.waiting && registration.active);
}

export function lessonRunning() {
  try {
    return Boolean(localStorage.getItem(RUNNING_LESSON));
  } catch {
    return false;
  }
}

// Shows the update offer inside `container` whenever an update waits and no lesson runs.
// Returns a function that stops watching and removes the offer.
export function watchForUpdates({ container }) {
  if (!("serviceWorker" in navigator)) return () => {};
  const sw = navigator.serviceWorker;
  let banner = null;
  let asked = false;
  let timer = null;
  let stopped = false;

  const render = () => {
    const show = !stopped && updateWaiting() && !lessonRunning();
    if (show && !banner) {
      banner = offer(() => {
        const waiting = registration?.waiting;
        if (!waiting) {
          location.reload();
          return;
        }
        asked = true;
        waiting.postMessage({ type: "skip-waiting" });
      });
      container.prepend(banner);
    } else if (!show && banner) {
      banner.remove();
      banner = null;
    }
  };
  const check = () => {
    registration?.update().catch(() => {}); // offline, or the server is away: try later
  };
  const whenVisible = () => { if (document.visibilityState === "visible") check(); };
  const onStorage = (event) => { if (event.key === RUNNING_LESSON || event.key === null) render(); };
  const onControllerChange = () => {
    if (asked) {
      asked = false;
      location.reload();
    }
  };

  window.addEventListener("storage", onStorage);
  window.addEventListener(LESSON_CHANGED, render);
  document.addEventListener("visibilitychange", whenVisible);
  sw.addEventListener("controllerchange", onControllerChange);

  (registering ?? sw.getRegistration("/").catch(() => null)).then((reg) => {
    if (!reg || stopped) return;
    registration = reg;
    // A new worker shows the offer once installed, and takes it away once active (another
    // tab may have taken the update first).
    const follow = (worker) => worker?.addEventListener("statechange", render);
    follow(reg.installing);
    follow(reg.waiting);
    reg.addEventListener("updatefound", () => follow(reg.installing));
    timer = setInterval(check, CHECK_EVERY);
    render();
  });

  return () => {
    stopped = true;
    clearInterval(timer);
    window.removeEventListener("storage", onStorage);
    window.removeEventListener(LESSON_CHANGED, render);
    document.removeEventListener("visibilitychange", whenVisible);
    sw.removeEventListener("controllerchange", onControllerChange);
    render();
  };
}

function offer(onUpdate) {
  const banner = document.createElement("div");
  banner.className = "update-offer";
  banner.setAttribute("role", "status");
  const text = document.createElement("p");
  text.textContent = _("Er is een nieuwe versie van Coulisse.");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = _("Nu bijwerken");
  button.addEventListener("click", () => {
    button.disabled = true;
    onUpdate();
  });
  banner.append(text, button);
  return banner;
}
