// What the recorder needs to know about the school, kept on the tablet for offline use: who
// is logged in, the school's lesson phases, the teachers one may observe and the codebook.
// Online it is fetched fresh and stored; offline the stored copy is used, from the store of
// the person logged in on this tablet, and from no one else's (tablet.js).

import * as db from "./db.js";
import { _ } from "./i18n.js";
import { lessonRunning } from "./pwa.js";
import * as sync from "./sync.js";
import * as tablet from "./tablet.js";

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store",
                                      headers: { Accept: "application/json" } });
  if (!response.ok) {
    const error = new Error(`${url}: ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

// Resolves with { me, school, teachers, codebook, offline, needsLogin }, or null when nobody
// is logged in on this tablet: never used online, logged out, or the server says the session
// is over. A session that ends during a lesson does not stop that lesson: with a lesson
// running, its person's store stays open and the status strip asks for a login to sync.
export async function load() {
  try {
    const me = await sync.identify();
    if (!me.current_school_id) {
      return { me, school: null, teachers: [], codebook: null, offline: false,
               needsLogin: false };
    }
    const [people, codebook] = await Promise.all([
      getJson("/api/people?role=teacher"), getJson("/api/codebook")]);
    const school = me.schools.find((s) => s.id === me.current_school_id);
    const context = {
      me: { id: me.id, name: me.name, roles: me.roles, current_school_id: me.current_school_id },
      school,
      teachers: people.filter((p) => p.id !== me.id)
        .sort((a, b) => a.name.localeCompare(b.name, "nl")),
      codebook,
      stored_at: new Date().toISOString(),
    };
    await db.setMeta("context", context);
    return { ...context, offline: false, needsLogin: false };
  } catch (error) {
    const sessionOver = error.status === 401;
    if (sessionOver && !lessonRunning()) tablet.forget();
    // Offline, or the session ended during a lesson: carry on with what this tablet knows.
    if (!db.currentPerson()) return null;
    const stored = await db.getMeta("context").catch(() => undefined);
    if (!stored) return null;
    return { ...stored, offline: !sessionOver, needsLogin: sessionOver };
  }
}

// Lookups over the codebook: code by key, family by key, codes per family in book order.
export function index(codebook) {
  const codes = new Map(codebook.codes.map((c) => [c.key, c]));
  const families = new Map(codebook.families.map((f) => [f.key, f]));
  const byFamily = codebook.families.map((family) => ({
    family, codes: codebook.codes.filter((c) => c.family === family.key && !c.retired),
  }));
  return { codes, families, byFamily };
}

export const KIND_LABELS = {
  "signaal": _("signaal"),
  "productieve-reflex": _("productieve reflex"),
  "improductieve-reflex": _("improductieve reflex"),
};

export const KIND_MARKS = {
  "signaal": "●",
  "productieve-reflex": "+",
  "improductieve-reflex": "−",
};
