// Alerters: the bystanders a trust lets raise the alarm. The list (status, an alert open now, how
// many in the last day), add and invite one (link and QR code for their phone), suspend or reinstate
// (a dispatcher's call, audited), erase one (an administrator's, audited), and the open invite for a
// trust whose policy lets anyone alert.
import { ApiError, normaliseLoc } from "/web/api.js";
import { h, $, when } from "/web/dom.js";

/** One line saying whether alerters can raise alerts now, and what a raise does. */
export function alerterPolicyLine(section) {
  if (!section || !section.enabled) return "Alerters are switched off in the policy: a raise is refused, and the alerter is told to call the emergency number.";
  const wait = Math.round((section.confirm_timeout_s ?? 600) / 60);
  const what = section.mode === "auto" ? "alerts responders at once"
    : `waits for a dispatcher to confirm it on the live map, and is closed if nobody has within ${wait === 1 ? "1 minute" : `${wait} minutes`}`;
  const who = section.who === "anyone" ? "registered alerters and anyone who joins from the open invite" : "registered alerters only";
  return `Alerters are on: a raise ${what}. Who: ${who}. Their phones call ${section.emergency_number || "999"}.`;
}

export class AlerterManager {
  constructor(api, base, rights) {
    this.api = api;
    this.base = base;
    this.rights = rights;
    this.rows = [];
    $("#alerter-form").addEventListener("submit", (e) => { e.preventDefault(); this.add(); });
    $("#open-invite").addEventListener("click", () => this.openInvite());
    $("#alerter-invite-copy").addEventListener("click", async () => {
      const button = $("#alerter-invite-copy");
      try {
        await navigator.clipboard.writeText($("#alerter-invite-link").textContent);
        button.textContent = "Copied";
      } catch {
        const range = document.createRange();
        range.selectNodeContents($("#alerter-invite-link"));
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        button.textContent = "Selected: press Ctrl+C to copy";
      }
    });
  }

  async show() {
    let section = null;
    try {
      section = (await this.api("GET", `${this.base}/policy`)).alerter || null;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    const mode = $("#alerters-mode");
    mode.textContent = alerterPolicyLine(section);
    mode.className = `banner ${section?.enabled ? "ok" : ""}`;
    $("#open-invite").disabled = !(section?.enabled && section.who === "anyone");
    $("#open-invite").title = $("#open-invite").disabled ? "The policy must let anyone be an alerter first" : "";
    await this.refresh();
  }

  message(text, kind = "") {
    const el = $("#alerter-message");
    el.textContent = text;
    el.className = `banner ${kind}`;
  }

  async refresh() {
    this.rows = await this.api("GET", `${this.base}/alerters`);
    const body = $("#alerter-rows");
    if (!this.rows.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 5 }, "No alerters yet.")));
      return;
    }
    const canSuspend = this.rights.can("dispatcher");
    const canInvite = this.rights.can("verifier");
    const canErase = this.rights.can("admin");
    body.replaceChildren(...this.rows.map((a) => {
      const label = a.name || "An alerter who joined from the open invite";
      const status = a.suspended ? "Suspended" : a.open_alert ? "Alert open now" : "Active";
      return h("tr", { dataset: { alerterId: a.id, suspended: String(Boolean(a.suspended)) } },
        h("td", { "data-label": "Name" }, label, a.origin === "open" ? h("span", { class: "muted" }, " (open invite)") : ""),
        h("td", { "data-label": "Joined" }, a.created_at ? `${when(a.created_at).slice(0, 16)} UTC` : ""),
        h("td", { "data-label": "Status" }, h("span", { class: `status ${a.suspended ? "state-suspended" : a.open_alert ? "state-pending" : "state-accepted"}` }, status),
          a.suspended && a.suspended_at ? h("span", { class: "muted" }, ` since ${when(a.suspended_at).slice(0, 16)} UTC`) : ""),
        h("td", { "data-label": "Alerts in the last 24 hours" }, String(a.raised_today ?? 0)),
        h("td", { class: "actions" },
          canSuspend ? h("button", { type: "button", class: a.suspended ? "secondary" : "danger",
            onclick: () => this.setSuspended(a, !a.suspended) },
          a.suspended ? "Reinstate" : "Suspend", h("span", { class: "visually-hidden" }, ` ${label}`)) : "", " ",
          canInvite && a.origin !== "open" ? h("button", { type: "button", class: "secondary", onclick: () => this.invite(a) },
            "Invite to the app", h("span", { class: "visually-hidden" }, ` ${label}`)) : "", " ",
          canErase ? h("button", { type: "button", class: "danger", onclick: () => this.erase(a) },
            "Erase", h("span", { class: "visually-hidden" }, ` ${label}`)) : ""));
    }));
  }

  async guard(work) {
    try { await work(); } catch (err) { this.message(err instanceof ApiError ? capital(err.message) : String(err), "error"); }
  }

  async setSuspended(a, suspended) {
    await this.guard(async () => {
      await this.api("PATCH", `${this.base}/alerters/${encodeURIComponent(a.id)}`, { suspended });
      const who = a.name || "The alerter";
      this.message(suspended ? `${who} is suspended: their alerts are refused, and they are told to call the emergency number.`
        : `${who} is reinstated and may raise alerts again.`, "ok");
      await this.refresh();
    });
  }

  async erase(a) {
    const who = a.name || "this alerter";
    const alert = a.open_alert ? " The alert they have open now stays with the dispatchers, without their name." : "";
    if (!window.confirm(`Erase ${who}? Their name is deleted, their phone is signed out at once and their invite links stop working.${alert} The audit keeps what they did, no longer saying who. This cannot be undone.`)) return;
    await this.guard(async () => {
      await this.api("DELETE", `${this.base}/alerters/${encodeURIComponent(a.id)}`);
      this.message(`${a.name || "The alerter"} was erased.`, "ok");
      await this.refresh();
    });
  }

  showInvite(invite, heading, how) {
    $("#alerter-invite-for").textContent = heading;
    $("#alerter-invite-how").textContent = how;
    $("#alerter-invite-link").textContent = invite.invite_url;
    const qr = $("#alerter-invite-qr");
    qr.hidden = !invite.qr_svg;
    if (invite.qr_svg) { qr.src = invite.qr_svg; qr.alt = `QR code of the link: ${heading}`; }
    $("#alerter-invite-copy").textContent = "Copy the link";
    $("#alerter-invite").hidden = false;
    $("#alerter-invite").scrollIntoView({ block: "nearest" });
    $("#alerter-invite-copy").focus();
  }

  async invite(a) {
    await this.guard(async () => {
      const invite = await this.api("POST", `${this.base}/alerters/${encodeURIComponent(a.id)}/invites`);
      const until = invite.expires_at ? `, until ${when(invite.expires_at)} UTC` : "";
      this.showInvite(invite, `Invite for ${a.name}`,
        `Open this link on their phone, or let them scan the code with its camera: it signs the alerter app in, with nothing to type. It works once${until}.`);
      this.message(`An invite link for ${a.name} is below.`, "ok");
    });
  }

  async openInvite() {
    await this.guard(async () => {
      const invite = await this.api("POST", `${this.base}/alerters/open-invite`);
      this.showInvite(invite, "Open invite: anyone may join as an alerter",
        "Publish this link or its QR code. Everyone who opens it on their phone joins as a new alerter. Making a new one stops this one.");
      this.message("A new open invite is below; the old one no longer works.", "ok");
    });
  }

  clearErrors() {
    $("#alerter-errors").replaceChildren();
    for (const el of document.querySelectorAll("#alerter-form .field-error")) el.textContent = "";
    for (const el of document.querySelectorAll("#alerter-form [aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  async add() {
    this.clearErrors();
    const id = $("#alerter-id");
    const name = $("#alerter-name");
    const body = { id: id.value.trim(), name: name.value.trim() };
    let missing = false;
    for (const [input, text] of [[id, "Give the alerter an id."], [name, "Give the alerter's name."]]) {
      if (!input.value.trim()) {
        document.getElementById(`err-${input.id}`).textContent = text;
        input.setAttribute("aria-invalid", "true");
        if (!missing) input.focus();
        missing = true;
      }
    }
    if (missing) return;
    try {
      const created = await this.api("POST", `${this.base}/alerters`, body);
      id.value = name.value = "";
      await this.refresh();
      await this.invite({ ...body, ...created });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      let first = null;
      const unplaced = [];
      for (const e of err.errors.length ? err.errors : [{ loc: err.status === 409 ? "id" : "", msg: err.message }]) {
        const field = document.querySelector(`#alerter-form [data-loc="${CSS.escape(normaliseLoc(e.loc))}"]`);
        if (field) {
          field.setAttribute("aria-invalid", "true");
          document.getElementById(`err-${field.id}`).textContent = capital(e.msg);
          first ??= field;
        } else unplaced.push(capital(e.msg));
      }
      $("#alerter-errors").replaceChildren(...unplaced.map((m) => h("p", {}, m)));
      first?.focus();
    }
  }
}

function capital(text) {
  const s = String(text || "");
  return s.charAt(0).toUpperCase() + s.slice(1);
}
