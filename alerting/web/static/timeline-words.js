// An incident's timeline in the words a dispatcher or a clinical safety officer reads: one sentence
// per event ("Phase 'trusted' fired: alerted 3 responders within 200 m"). Pure: no DOM, no fetch,
// so every event can be checked on its own. `names` gives responders' names ({id: name}) and group
// names ({id: name}); an id without a name is shown as it is.

const SKIPPED = {
  credential_expired: "a required credential has expired or is not yet verified",
  busy: "already on another incident",
  quiet_hours: "in their quiet hours",
  off_schedule: "outside the on-duty hours they set",
  fatigue_limit: "alerted too often in the last hour",
  unreadable_record: "their record could not be read",
};
const TOO_LATE = { filled: "enough responders had already accepted", cancelled: "the incident had been cancelled",
  closed: "the incident had been closed", exhausted: "alerting had ended" };
const WAS = { alerted: "before answering", accepted: "after accepting", arrived: "after arriving" };
const CAD = {
  "incident.alerting": "alerting started", "responder.accepted": "a responder accepted",
  "responder.declined": "a responder declined", "responder.arrived": "a responder arrived",
  "incident.filled": "the incident is filled", "incident.exhausted": "nobody accepted",
  "incident.stood_down": "everyone was stood down",
  "responder.status": "a responder reported from the scene", "responder.eta": "a responder on the way has a new ETA",
  "responder.message": "a responder wrote to the control room",
  "incident.raised": "a bystander raised the alarm", "alerter.message": "the bystander wrote to the responders",
};
const SCENE = { on_scene: "is on scene", with_patient: "is with the patient", aed_collected: "has collected the defibrillator",
  cpr_started: "has started CPR" };
const DELIVERY = { delivered: "delivered", retry: "not delivered, will retry", given_up: "not delivered, given up" };
const ROLE = { aed: "to fetch the defibrillator first", scene: "" };
const OUTCOME = { rosc: "the patient's heart started again (ROSC)", transported: "the patient was taken to hospital",
  died: "the patient died", not_cardiac: "it was not a cardiac arrest", unknown: "not known" };
const DECLINED = { too_far: "too far away", busy: "busy", unsafe: "not safe for them to go", other: "another reason" };

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function metres(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(1).replace(/\.0$/, "")} km` : `${Math.round(m)} m`;
}

function duration(s) {
  const n = Math.max(0, Math.round(Number(s) || 0));
  return n < 60 ? plural(n, "second") : plural(Math.round(n / 60), "minute");
}

function list(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

// Who acted, at the start of a sentence: "Dana Whitfield", "The CAD".
function actor(by, fallback) {
  const text = by || fallback;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function humanise(code) {
  const text = String(code || "").replace(/[._]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function describeEvent(entry, names = {}) {
  const people = names.responders || {};
  const groups = names.groups || {};
  const who = (id) => people[id] || (id ? `Responder ${id}` : "A responder");
  const d = entry;
  switch (d.event) {
    case "reported": {
      if (d.category === "alerter") {
        const needed = d.accept_limit ? `; ${plural(d.accept_limit, "responder")} needed` : "";
        return `Raised by a bystander with the alerter app; ${d.rules || "no policy"}${needed}`;
      }
      const place = d.location_type ? ` (${humanise(d.location_type).toLowerCase()} place)` : "";
      const needed = d.accept_limit ? `; ${plural(d.accept_limit, "responder")} needed` : "";
      return `Reported: category ${d.category}${place}; ${d.rules || "no policy"}${needed}`;
    }
    case "not_alerted":
      return `Nobody was alerted: ${d.reason}`;
    case "alerting_started":
      return `Alerting started after the category changed to ${d.category}`;
    case "phase_fired": {
      const n = (d.alerted || []).length;
      const of = d.groups?.length ? ` (${list(d.groups.map((g) => groups[g] || g))})` : "";
      const what = n ? `alerted ${plural(n, "responder")} within ${metres(d.radius_m)}`
        : `nobody new to alert within ${metres(d.radius_m)}`;
      return `Phase '${d.phase}' fired: ${what}${of}`;
    }
    case "responder_skipped":
      return `${who(d.responder)} was not alerted in phase '${d.phase}': ${SKIPPED[d.reason] || humanise(d.reason).toLowerCase()}`;
    case "responder.accepted": {
      const role = ROLE[d.role] ? ` ${ROLE[d.role]}` : "";
      return `${who(d.responder)} accepted${role}`;
    }
    case "accept_refused":
      return `${who(d.responder)} accepted too late and was stood down: ${TOO_LATE[d.reason] || humanise(d.reason).toLowerCase()}`;
    case "responder.declined":
      return d.reason ? `${who(d.responder)} declined: ${DECLINED[d.reason] || humanise(d.reason).toLowerCase()}`
        : `${who(d.responder)} declined`;
    case "responder.arrived":
      return `${who(d.responder)} arrived on scene`;
    case "responder.status":
      return `${who(d.responder)} ${SCENE[d.status] || `reported: ${humanise(d.status).toLowerCase()}`}`;
    case "responder.withdrawn":
      return `${who(d.responder)} withdrew ${WAS[d.was] || ""}`.trim();
    case "alert.delivered":
      return `The alert reached ${who(d.responder)}'s phone`;
    case "alert.expired":
      return `${who(d.responder)}'s alert expired unanswered`;
    case "alert.pushed":
      return `Push notification sent to ${who(d.responder)}`;
    case "alert.push_failed":
      return `Push notification to ${who(d.responder)} failed: ${d.reason}`;
    case "incident.filled":
      return `Filled: ${plural(d.accepted, "responder")} accepted; stood down: everyone else alerted`;
    case "incident.exhausted":
      return `Every phase fired and nobody accepted (${plural(d.alerted, "responder")} alerted)`;
    case "incident.cancelled":
      return `Cancelled${d.by ? ` by ${d.by}` : ""}${d.reason ? `: ${d.reason}` : ""}; stood down: everyone still involved`;
    case "incident.closed":
      return "Closed; stood down: everyone still involved";
    case "moved":
      return `Location moved to ${Number(d.lat).toFixed(5)}, ${Number(d.lon).toFixed(5)}`;
    case "recategorised":
      return `Category changed to ${d.category}`;
    case "notes_updated":
      return "Notes updated";
    case "alerted_by_hand":
      return `${actor(d.by, "a dispatcher")} alerted ${who(d.responder)} by hand (${metres(d.distance_m)} away)`;
    case "escalated":
      return `${actor(d.by, "a dispatcher")} fired phase '${d.phase}' ahead of its time`;
    case "alerting_resumed":
      return `Alerting resumed: ${d.by || "a dispatcher"} alerted someone by hand`;
    case "message.sent": {
      const to = (d.to || []).map(who);
      return `${actor(d.by, "the control room")} wrote to ${to.length ? list(to) : "nobody"}: “${d.text}”`;
    }
    case "message.from_alerter":
      return `The bystander who raised the alarm wrote: “${d.text}”`;
    case "awaiting_confirmation":
      return "Waiting for a dispatcher to confirm it: nobody is alerted until then";
    case "confirmed":
      return `${actor(d.by, "a dispatcher")} confirmed the bystander's alarm: alerting starts`;
    case "confirmation_expired": {
      const wait = Math.round(Number(d.after_s) / 60);
      return `Nobody confirmed the bystander's alarm within ${plural(wait, "minute")}: closed, nobody was alerted`;
    }
    case "adopted":
      return `The CAD took it as its own incident ${d.cad_ref}`;
    case "message.received":
      return `${who(d.responder)} wrote: “${d.text}”`;
    case "address_updated":
      return "Address updated";
    case "outcome": {
      const said = (code) => OUTCOME[code] || humanise(code).toLowerCase();
      return `The CAD gave the outcome: ${said(d.outcome)}${d.was ? ` (it had said: ${said(d.was)})` : ""}`;
    }
    case "ambulance_arrived": {
      const at = String(d.ambulance_arrived_at || "").slice(11, 16);
      return `The CAD said the ambulance crew reached the scene${at ? ` at ${at} UTC` : ""}`;
    }
    case "webhook.attempt": {
      const what = CAD[d.webhook_event] || humanise(d.webhook_event).toLowerCase();
      return `CAD told that ${what} (attempt ${d.attempt}): ${DELIVERY[d.outcome] || humanise(d.outcome).toLowerCase()}`;
    }
    case "webhook.given_up": {
      const what = CAD[d.webhook_event] || humanise(d.webhook_event).toLowerCase();
      return `Gave up telling the CAD that ${what} after ${plural(d.attempts, "attempt")}`;
    }
    case "cad.responder.status":
      return `CAD to be told ${who(d.responder)} ${SCENE[d.status] || `reported: ${humanise(d.status).toLowerCase()}`}`;
    case "cad.responder.eta":
      return `CAD to be told ${who(d.responder)} is expected in ${duration(d.eta_s)} (${metres(d.distance_m)} away)`;
    default:
      if (String(d.event).startsWith("cad.")) {
        const code = d.event.slice(4);
        const what = CAD[code] || humanise(code).toLowerCase();
        return `CAD to be told that ${what}${d.responder ? ` (${who(d.responder)})` : ""}`;
      }
      return humanise(d.event);
  }
}
