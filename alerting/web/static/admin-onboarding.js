// Verifiers bring responders in without reading anyone a token: an invite link and its QR code for
// a responder's phone, the applications of volunteers who registered themselves (approve into
// groups, or refuse with a reason), and each responder's credentials (download the file, mark it
// checked).
import { ApiError } from "/web/api.js";
import { h, $, when } from "/web/dom.js";

const STATUS = { verified: "Checked", pending: "Waiting to be checked" };

function kindText(kind) {
  const text = String(kind || "").replace(/[_.-]+/g, " ").trim();
  return text.length <= 4 && !text.includes(" ") ? text.toUpperCase() : text.charAt(0).toUpperCase() + text.slice(1);
}

function credentialLine(c) {
  const state = c.expired ? `Expired on ${c.expires_on}` : `${STATUS[c.status] || c.status} — valid until ${c.expires_on}`;
  return `${kindText(c.kind)}: ${state}`;
}

async function download(api, path, name) {
  const response = await api("GET", path, undefined, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Shows an invite (link, QR code, expiry) for one responder, to send or to scan. */
export function showInvite(invite, name) {
  $("#responder-invite-for").textContent = `Invite for ${name}`;
  $("#responder-invite-until").textContent = `${when(invite.expires_at)} UTC`;
  $("#responder-invite-link").textContent = invite.invite_url;
  const qr = $("#responder-invite-qr");
  qr.src = invite.qr_svg;
  qr.alt = `QR code of the invite link for ${name}`;
  $("#responder-invite").hidden = false;
  $("#responder-invite").scrollIntoView({ block: "nearest" });
  $("#responder-invite-copy").textContent = "Copy the link";
  $("#responder-invite-copy").focus();
}

export function wireInviteCopy() {
  $("#responder-invite-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("#responder-invite-link").textContent);
      $("#responder-invite-copy").textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents($("#responder-invite-link"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      $("#responder-invite-copy").textContent = "Selected: press Ctrl+C to copy";
    }
  });
}

/** A responder's credentials, opened in place under their row. */
export async function credentialsEditor(api, base, r, opener, say) {
  const row = opener.closest("tr");
  if (row.nextElementSibling?.classList.contains("credential-editor")) { row.nextElementSibling.remove(); return; }
  const path = `${base}/responders/${encodeURIComponent(r.id)}/credentials`;
  const cell = h("td", { colspan: 5 }, h("p", {}, "Loading…"));
  const editor = h("tr", { class: "credential-editor" }, cell);
  row.after(editor);
  const render = async () => {
    const found = await api("GET", path);
    const items = found.credentials.map((c) => h("li", { dataset: { credentialId: c.id, status: c.status } },
      h("span", {}, credentialLine(c)), " ",
      h("button", { type: "button", class: "secondary", onclick: () => download(api, `${path}/${c.id}/file`, `${r.id}-${c.kind}`)
        .catch((err) => say(err.message, "error")) }, "Download the file", h("span", { class: "visually-hidden" }, ` ${kindText(c.kind)}`)), " ",
      c.status !== "verified" ? h("button", { type: "button", onclick: async () => {
        try {
          await api("POST", `${path}/${c.id}/verify`);
          say(`${r.name}'s ${kindText(c.kind)} is checked.`, "ok");
          await render();
        } catch (err) { say(err.message, "error"); }
      } }, "Mark as checked", h("span", { class: "visually-hidden" }, ` ${kindText(c.kind)}`)) : ""));
    const missing = found.missing.length
      ? h("p", { class: "notice" }, `Not alerted until checked: ${found.missing.map(kindText).join(", ")}`) : "";
    cell.replaceChildren(h("h4", {}, `Credentials of ${r.name}`), missing,
      items.length ? h("ul", { class: "credential-list" }, items) : h("p", {}, "No credentials uploaded."),
      h("button", { type: "button", class: "secondary", onclick: () => { editor.remove(); opener.focus(); } }, "Close"));
  };
  try { await render(); } catch (err) { cell.replaceChildren(h("p", {}, `Could not load the credentials: ${err.message}`)); }
}

/** Whether the trust takes applications, where approved volunteers go, and what everyone must hold. */
export class RegistrationSettings {
  constructor(api, base, trustId) {
    this.api = api;
    this.base = base;
    this.trustId = trustId;
    $("#registration-form").addEventListener("submit", (e) => { e.preventDefault(); this.save(); });
  }

  async show(groups) {
    let found = { open: false, groups: [], required_credentials: [] };
    try { found = await this.api("GET", `${this.base}/registration`); } catch { /* never set */ }
    $("#registration-open").checked = Boolean(found.open);
    $("#registration-link").textContent = `${location.origin}/responder?apply=${encodeURIComponent(this.trustId)}`;
    $("#registration-groups").replaceChildren(h("legend", {}, "Groups approved volunteers join"),
      ...groups.map((g) => h("label", {}, h("input", { type: "checkbox", value: g.id, checked: (found.groups || []).includes(g.id) }), g.name)));
    $("#registration-required").value = (found.required_credentials || []).join(", ");
  }

  async save() {
    const say = $("#registration-saved");
    say.textContent = "";
    $("#registration-groups-error").textContent = "";
    const body = {
      open: $("#registration-open").checked,
      groups: [...document.querySelectorAll("#registration-groups input:checked")].map((c) => c.value),
      required_credentials: $("#registration-required").value.split(/[,\s]+/).map((k) => k.trim().toLowerCase()).filter(Boolean),
    };
    if (body.open && !body.groups.length) {
      $("#registration-groups-error").textContent = "Choose at least one group while taking applications.";
      $("#registration-groups input")?.focus();
      return;
    }
    try {
      const saved = await this.api("PUT", `${this.base}/registration`, body);
      say.className = "banner ok";
      say.textContent = ["Saved.", ...(saved.warnings || [])].join(" ");
    } catch (err) {
      say.className = "banner error";
      say.textContent = `Nothing was saved: ${err.message}`;
    }
  }
}

/** Applications of volunteers who registered themselves: approve into groups, or refuse. */
export class Applications {
  constructor(api, base, onApproved) {
    this.api = api;
    this.base = base;
    this.onApproved = onApproved;  // refresh the responder list
    this.groups = [];
    this.defaults = [];
  }

  async show(groups) {
    this.groups = groups;
    let settings = { groups: [] };
    try { settings = await this.api("GET", `${this.base}/registration`); } catch { /* never set: no defaults */ }
    this.defaults = settings.groups || [];
    const pending = await this.api("GET", `${this.base}/registrations?status=pending`);
    $("#applications-count").textContent = pending.length ? `${pending.length} waiting` : "None waiting.";
    $("#applications").replaceChildren(...pending.map((a) => this.card(a)));
  }

  say(text, kind = "") {
    const el = $("#applications-message");
    el.textContent = text;
    el.className = `banner ${kind}`;
  }

  card(a) {
    const path = `${this.base}/registrations/${encodeURIComponent(a.id)}`;
    const boxes = h("fieldset", { class: "checks" }, h("legend", {}, `Groups for ${a.name}`),
      ...this.groups.map((g) => h("label", {}, h("input", { type: "checkbox", value: g.id, checked: this.defaults.includes(g.id) }), g.name)));
    const reasonId = `refuse-${a.id}`;
    const reason = h("input", { type: "text", id: reasonId, maxlength: 500 });
    const error = h("p", { class: "field-error", "aria-live": "polite" });
    const contact = [a.email, a.phone].filter(Boolean).join(" · ");
    return h("article", { class: "application", dataset: { registrationId: a.id }, "aria-label": `Application from ${a.name}` },
      h("h4", {}, a.name), h("p", { class: "muted" }, `Applied ${when(a.created_at)} UTC${contact ? ` · ${contact}` : ""}`),
      a.credentials.length ? h("ul", { class: "credential-list" }, a.credentials.map((c) => h("li", {},
        h("span", {}, `${kindText(c.kind)}: valid until ${c.expires_on}${c.expired ? " (expired)" : ""}`), " ",
        h("button", { type: "button", class: "secondary", onclick: () => download(this.api, `${path}/credentials/${c.id}/file`, `${a.name}-${c.kind}`)
          .catch((err) => this.say(err.message, "error")) }, "Download the file", h("span", { class: "visually-hidden" }, ` ${kindText(c.kind)} of ${a.name}`)))))
        : h("p", {}, "No credentials uploaded."),
      boxes,
      h("button", { type: "button", onclick: async () => {
        const groups = [...boxes.querySelectorAll("input:checked")].map((c) => c.value);
        error.textContent = "";
        if (!groups.length) { error.textContent = "Choose at least one group."; boxes.querySelector("input")?.focus(); return; }
        try {
          const approved = await this.api("POST", `${path}/approve`, { groups });
          this.say(`${a.name} is now a responder (${approved.responder_id}).${approved.missing_credentials?.length
            ? ` Not alerted until they upload: ${approved.missing_credentials.map(kindText).join(", ")}.` : ""}`, "ok");
          showInvite(approved, a.name);
          await this.show(this.groups);
          await this.onApproved();
        } catch (err) { error.textContent = err instanceof ApiError ? err.message : String(err); }
      } }, "Approve", h("span", { class: "visually-hidden" }, ` ${a.name}`)),
      h("div", { class: "field" }, h("label", { for: reasonId }, "Reason, if you refuse"), reason),
      h("button", { type: "button", class: "danger", onclick: async () => {
        error.textContent = "";
        if (!reason.value.trim()) { error.textContent = "Give a reason to refuse."; reason.focus(); return; }
        if (!window.confirm(`Refuse ${a.name}'s application? Their uploaded files are deleted.`)) return;
        try {
          await this.api("POST", `${path}/refuse`, { reason: reason.value.trim() });
          this.say(`${a.name}'s application was refused.`, "ok");
          await this.show(this.groups);
        } catch (err) { error.textContent = err.message; }
      } }, "Refuse", h("span", { class: "visually-hidden" }, ` ${a.name}`)),
      error);
  }
}
