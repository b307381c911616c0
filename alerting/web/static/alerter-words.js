// What the alerter page says, in short words a frightened bystander can take in at a glance.
// Never an identifier: responders are counted, not named.
import { metres } from "/web/responder-place.js";

const NOBODY = new Set(["exhausted", "not_alerted"]);  // nobody accepted, or nobody could be alerted
const responders = (n) => (n === 1 ? "1 responder" : `${n} responders`);

/** The big line of the help view: who is coming and how far the nearest one is. */
export function helpLine(help) {
  const n = Number(help.accepted || 0);
  if (n > 0) {
    const far = help.nearest_m === null || help.nearest_m === undefined ? "" : metres(help.nearest_m);
    if (!far) return `${responders(n)} on the way`;
    return n === 1 ? `1 responder on the way, ${far}` : `${responders(n)} on the way, nearest ${far}`;
  }
  if (help.status === "awaiting_confirmation") return "Responders are sent as soon as the control room confirms it.";
  if (NOBODY.has(help.status)) return "No responder nearby could come. Keep doing CPR: the ambulance is coming.";
  if (help.status === "raising") return "Sending your location to responders near you…";
  return "Asking responders near you to come…";
}

export function helpTitle(help) {
  if (Number(help.accepted || 0) > 0) return "Help is on the way";
  if (help.status === "awaiting_confirmation") return "Your alert is being checked";
  if (NOBODY.has(help.status)) return "No responder is coming";
  return "Alerting responders";
}

export function etaLine(help) {
  if (!Number(help.accepted || 0) || help.eta_s === null || help.eta_s === undefined) return "";
  const minutes = Math.max(1, Math.round(help.eta_s / 60));
  return minutes === 1 ? "The first should be with you in about 1 minute." : `The first should be with you in about ${minutes} minutes.`;
}

export function aedLine(aed) {
  if (!aed) return "";
  const far = metres(aed.distance_m);
  return aed.name ? `${aed.name}, ${far} from you` : `${far} from you`;
}

export const FROM = { alerter: "You", responder: "Responder", control: "Control room" };

/** Why the alert could not be raised, by the problem's code, status or detail; always: call 999. */
export function problemText(err, number) {
  const call = `Call ${number} now if you have not.`;
  const code = err?.problem?.code;
  const status = err?.status;
  if (err?.offline) return `No internet connection: responders were not alerted. ${call} The app will try again when you are back online.`;
  if (err?.noLocation) return `This phone could not tell where you are, so responders were not alerted. Tell ${number} where you are.`;
  if (status === 422) return `You are outside the area this service covers, so no responder was alerted. ${call}`;
  if (status === 429 && code === "alert_open") return "You already have an alert open.";
  if (status === 429) return `You have raised as many alerts as allowed today, so no responder was alerted. ${call}`;
  if (status === 403 && code === "alerters_disabled") return `Alerting responders is switched off here. ${call}`;
  if (status === 403) return `Your account cannot alert responders: it has been suspended. ${call}`;
  if (status === 401) return `This phone is no longer signed in, so no responder was alerted. ${call}`;
  return `Responders could not be alerted (${err?.message || "an error"}). ${call}`;
}

export const STAND_DOWN = {
  closed: {
    title: "The call is closed",
    text: "The ambulance service has closed this call. Responders are no longer needed. Thank you for acting so fast.",
  },
  not_confirmed: {
    title: "Your alert was not confirmed",
    text: "The control room did not confirm your alert in time, so no responder was sent. If the person still needs help, call {number} now.",
  },
  cancelled: {
    title: "The alert was cancelled",
    text: "The ambulance service cancelled this alert: responders are no longer coming. If the person still needs help, call {number}.",
  },
};
