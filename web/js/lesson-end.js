// Ending the lesson: asked first; everything queued is saved (`settle`) before it is ended.

import * as db from "./db.js";
import { _ } from "./i18n.js";
import * as status from "./status.js";
import { ask } from "./ui.js";

export async function endLesson({ observation, settle, stop, end }) {
  const choice = await ask({
    title: _("Les beëindigen?"),
    text: _("Daarna kun je de momenten nakijken en een samenvatting schrijven."),
    choices: [{ label: _("Doorgaan met opnemen"), value: false },
              { label: _("Les beëindigen"), value: true, kind: "primary" }],
  });
  if (!choice) return;
  await settle();
  stop();
  await db.putObservation({ id: observation.id, ended_at: new Date().toISOString(),
                            status: "ended" });
  status.saved();
  end(observation.id);
}
