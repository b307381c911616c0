// The console's words for the codes the API speaks: what a person reads, never an identifier.

export const STATUS = { alerting: "Alerting", filled: "Filled", exhausted: "Nobody accepted", not_alerted: "Not alerted",
  cancelled: "Cancelled", closed: "Closed", awaiting_confirmation: "Awaiting confirmation" };
export const STATE = { alerted: "Alerted", accepted: "Accepted", declined: "Declined", arrived: "On scene",
  stood_down: "Stood down", expired: "No answer" };
export const ROLE = { viewer: "Viewer", dispatcher: "Dispatcher", policy: "Policy editor", verifier: "Verifier",
  admin: "Administrator" };
export const ACTION = {
  "admin_key.rotate": "Rotated the API key", "aeds.replace": "Replaced the defibrillators",
  "cad_key.rotate": "Rotated the CAD key", "credential.upload": "Uploaded a credential",
  "credential.verify": "Verified a credential", "group.create": "Added a group",
  "incident.export": "Exported an incident record", "incident.alert": "Alerted a responder by hand",
  "incident.escalate": "Fired the next phase early", "incident.message": "Messaged the responders",
  "incident.cancel": "Cancelled an incident", "policy.update": "Changed the policy",
  "registration.apply": "Applied to volunteer", "registration.approve": "Approved a registration",
  "registration.refuse": "Refused a registration", "registration.settings": "Changed registration settings",
  "responder.create": "Added a responder", "responder.erase": "Erased a responder",
  "responder.invite": "Invited a responder", "responder.invite_redeemed": "Joined from an invite",
  "responder.profile": "Changed their profile", "responder.token": "Issued a responder token",
  "responder.update": "Changed a responder", "sso.update": "Changed single sign-on",
  "staff.create": "Added a staff member", "staff.delete": "Removed a staff member",
  "staff.invite": "Invited a staff member", "staff.password_set": "Set their password",
  "staff.sign_in": "Signed in", "staff.update": "Changed a staff member", "trust.create": "Created the trust",
};
// The audit's action filter: a family ("policy.") or one action, in words.
export const ACTION_FILTERS = [
  ["policy.", "Policy and zones"], ["aeds.", "Defibrillators"], ["group.", "Groups"], ["responder.", "Responders"],
  ["registration.", "Registrations"], ["credential.", "Credentials"], ["staff.sign_in", "Sign-ins"],
  ["staff.", "Staff accounts and sign-ins"], ["sso.", "Single sign-on settings"], ["admin_key.", "API key"],
  ["cad_key.", "CAD key"], ["incident.export", "Incident exports"],
  ["incident.alert", "Manual alerts"], ["incident.escalate", "Phases fired early"], ["incident.message", "Messages to responders"],
  ["incident.cancel", "Cancellations"], ["trust.", "Trust created"],
  ["alerter.", "Alerters and their alerts"], ["alerter.raise_refused", "Refused alerts from alerters"],
];

export function words(table, code) {
  if (code === null || code === undefined) return "";
  return table[code] || String(code).replace(/[._]+/g, " ").replace(/^./, (c) => c.toUpperCase());
}

// An incident an alerter raised carries a provisional reference until the CAD adopts it: it is
// named in words (with the time it was raised), never by that placeholder.
export function raisedByAlerter(view) {
  return view?.source === "alerter" || String(view?.cad_ref || "").startsWith("alerter-");
}

export function incidentName(view) {
  const ref = String(view?.cad_ref || "");
  if (raisedByAlerter(view) && (!ref || ref.startsWith("alerter-"))) {
    const at = view.created_at ? ` ${String(view.created_at).slice(11, 16)} UTC` : "";
    return `Bystander's alarm${at}`;
  }
  return ref;
}
