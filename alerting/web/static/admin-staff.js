// Staff (admins only): who uses the console and with which roles. Invite a person (the single-use
// link is shown to copy and send), change their roles, deactivate or reactivate them (their
// sessions end at once), send a new invite link (also a password reset), or remove them.
import { ApiError, normaliseLoc } from "/web/api.js";
import { h, $, when } from "/web/dom.js";
import { ROLE, words } from "/web/words.js";

const ROLE_HELP = {
  viewer: "reads incidents, the live map, the policy and the audit",
  dispatcher: "also acts on incidents",
  policy: "also changes the policy, zones and defibrillators, and runs what-if replays",
  verifier: "also manages responders, invites, registrations and credentials",
  admin: "everything, including staff, single sign-on and keys",
};
const ORDER = Object.keys(ROLE_HELP);

function roleBoxes(prefix, chosen = []) {
  return ORDER.map((role) => h("label", { class: "role-choice" },
    h("input", { type: "checkbox", value: role, name: `${prefix}-role`, checked: chosen.includes(role) }),
    h("span", {}, h("strong", {}, words(ROLE, role)), ` — ${ROLE_HELP[role]}`)));
}

function chosenRoles(root) {
  return [...root.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
}

function statusOf(p) {
  if (!p.active) return ["Deactivated", "suspended"];
  if (!p.has_password && !p.last_sign_in_at) return ["Invited, not signed in yet", "pending"];
  return ["Active", "active"];
}

export class StaffManager {
  constructor(api, base, me, sso) {
    this.api = api;
    this.base = base;
    this.me = me;           // whoami: a person's own row gets a warning before they lock themselves out
    this.sso = sso;         // async () => the trust's single sign-on button words, or null
    this.people = [];
    $("#staff-roles").append(...roleBoxes("new", ["viewer"]));
    $("#staff-form").addEventListener("submit", (e) => { e.preventDefault(); this.add(); });
    $("#invite-copy").addEventListener("click", () => this.copyLink());
  }

  async show() {
    await this.refresh();
  }

  message(text, kind = "") {
    const el = $("#staff-message");
    el.textContent = text;
    el.className = `banner ${kind}`;
  }

  async refresh() {
    this.people = await this.api("GET", `${this.base}/staff`);
    const body = $("#staff-rows");
    if (!this.people.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 6 }, "Nobody yet: invite the first person below.")));
      return;
    }
    body.replaceChildren(...this.people.map((p) => this.row(p)));
  }

  row(p) {
    const [status, tone] = statusOf(p);
    const self = this.me.kind === "staff" && this.me.staff_id === p.id;
    const named = (text) => [text, h("span", { class: "visually-hidden" }, ` ${p.name}`)];
    return h("tr", { dataset: { staffId: p.id } },
      h("td", { "data-label": "Name" }, p.name, self ? h("span", { class: "muted" }, " (you)") : ""),
      h("td", { "data-label": "Email" }, p.email),
      h("td", { "data-label": "Roles" }, p.roles.map((r) => words(ROLE, r)).join(", ")),
      h("td", { "data-label": "Status" }, h("span", { class: `status state-${tone}` }, status)),
      h("td", { "data-label": "Last signed in (UTC)" }, p.last_sign_in_at ? when(p.last_sign_in_at) : "never"),
      h("td", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: (e) => this.editRoles(p, e.currentTarget) }, ...named("Change roles")), " ",
        p.active
          ? h("button", { type: "button", class: "secondary", onclick: () => this.setActive(p, false) }, ...named("Deactivate"))
          : h("button", { type: "button", class: "secondary", onclick: () => this.setActive(p, true) }, ...named("Reactivate")), " ",
        p.active ? h("button", { type: "button", class: "secondary", onclick: () => this.reinvite(p) }, ...named("New invite link")) : "", " ",
        h("button", { type: "button", class: "danger", onclick: () => this.remove(p) }, ...named("Remove"))));
  }

  editRoles(p, opener) {
    const row = opener.closest("tr");
    if (row.nextElementSibling?.classList.contains("role-editor")) { row.nextElementSibling.querySelector("input")?.focus(); return; }
    const boxes = h("fieldset", { class: "roles" }, h("legend", {}, `Roles of ${p.name}`), ...roleBoxes(`edit-${p.id}`, p.roles));
    const error = h("p", { class: "field-error", "aria-live": "polite" });
    const editor = h("tr", { class: "role-editor" }, h("td", { colspan: 6 },
      h("form", { novalidate: true, onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = "";
        const roles = chosenRoles(boxes);
        if (!roles.length) { error.textContent = "Choose at least one role."; return; }
        if (this.isMe(p) && p.roles.includes("admin") && !roles.includes("admin")
            && !window.confirm("You are taking away your own administrator role: you will no longer see this page. Continue?")) return;
        await this.guard(async () => {
          const changed = await this.api("PATCH", `${this.base}/staff/${encodeURIComponent(p.id)}`, { roles });
          await this.refresh();
          this.message(`${p.name} now has the roles: ${changed.roles.map((r) => words(ROLE, r)).join(", ")}.`, "ok");
        });
      } }, boxes, error,
      h("button", { type: "submit" }, "Save roles"), " ",
      h("button", { type: "button", class: "secondary", onclick: () => { editor.remove(); opener.focus(); } }, "Cancel"))));
    row.after(editor);
    boxes.querySelector("input").focus();
  }

  isMe(p) {
    return this.me.kind === "staff" && this.me.staff_id === p.id;
  }

  async setActive(p, active) {
    if (!active) {
      const text = this.isMe(p)
        ? "Deactivate your own account? You will be signed out at once and cannot sign back in."
        : `Deactivate ${p.name}? They are signed out at once and cannot sign in until reactivated.`;
      if (!window.confirm(text)) return;
    }
    await this.guard(async () => {
      await this.api("PATCH", `${this.base}/staff/${encodeURIComponent(p.id)}`, { active });
      await this.refresh();
      this.message(active ? `${p.name} can sign in again.` : `${p.name} was deactivated and signed out.`, "ok");
    });
  }

  async reinvite(p) {
    const text = p.has_password
      ? `Send ${p.name} a new invite link? Their current password stops working when they use it.`
      : `Make a new invite link for ${p.name}? Any earlier link stops working.`;
    if (!window.confirm(text)) return;
    await this.guard(async () => {
      const invite = await this.api("POST", `${this.base}/staff/${encodeURIComponent(p.id)}/invite`);
      await this.showInvite(invite, `New invite link for ${p.name}`);
      await this.refresh();
    });
  }

  async remove(p) {
    if (!window.confirm(`Remove ${p.name} (${p.email})? They are signed out; the audit keeps what they did.`)) return;
    await this.guard(async () => {
      await this.api("DELETE", `${this.base}/staff/${encodeURIComponent(p.id)}`);
      $("#invite-box").hidden = true;
      await this.refresh();
      this.message(`${p.name} was removed.`, "ok");
    });
  }

  async guard(action) {
    try { await action(); } catch (err) { this.message(err.message, "error"); }
  }

  async showInvite(invite, title) {
    $("#invite-for").textContent = title;
    $("#invite-until").textContent = `${when(invite.invite_expires_at)} UTC`;
    $("#invite-link").textContent = invite.invite_url;
    let sso = null;
    try { sso = await this.sso(); } catch { /* no single sign-on */ }
    $("#invite-sso").textContent = sso ? `, or they sign in with ${sso} and need no password` : "";
    $("#invite-box").hidden = false;
    $("#invite-box").scrollIntoView({ block: "nearest" });
    $("#invite-copy").focus();
  }

  async copyLink() {
    const link = $("#invite-link").textContent;
    try {
      await navigator.clipboard.writeText(link);
      $("#invite-copy").textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents($("#invite-link"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      $("#invite-copy").textContent = "Selected: press Ctrl+C to copy";
    }
  }

  async add() {
    const errors = { name: $("#err-staff-name"), email: $("#err-staff-email"), roles: $("#err-staff-roles") };
    const inputs = { name: $("#staff-name"), email: $("#staff-email"), roles: $("#staff-roles") };
    for (const el of Object.values(errors)) el.textContent = "";
    for (const el of Object.values(inputs)) el.removeAttribute("aria-invalid");
    $("#staff-errors").textContent = "";
    const body = { name: inputs.name.value.trim(), email: inputs.email.value.trim(), roles: chosenRoles(inputs.roles) };
    const local = [];
    if (!body.name) local.push(["name", "Enter their name."]);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(body.email)) local.push(["email", "Enter an email address like name@trust.nhs.uk."]);
    if (!body.roles.length) local.push(["roles", "Choose at least one role."]);
    if (local.length) { this.mark(local, errors, inputs); return; }
    try {
      const created = await this.api("POST", `${this.base}/staff`, body);
      $("#staff-form").reset();
      for (const box of $("#staff-roles").querySelectorAll("input")) box.checked = box.value === "viewer";
      this.message(`${created.name} was added with the roles: ${created.roles.map((r) => words(ROLE, r)).join(", ")}.`, "ok");
      await this.refresh();
      await this.showInvite(created, `Invite link for ${created.name}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const placed = err.errors.map((e) => [normaliseLoc(e.loc).split(".")[0], e.msg]).filter(([k]) => errors[k]);
      if (err.status === 409) placed.push(["email", "This address already has an account in this trust."]);
      if (placed.length) this.mark(placed, errors, inputs);
      $("#staff-errors").textContent = placed.length ? "Nobody was invited. Fix the fields marked below." : err.message;
    }
  }

  mark(found, errors, inputs) {
    for (const [key, text] of found) {
      errors[key].textContent = text;
      inputs[key].setAttribute("aria-invalid", "true");
    }
    (inputs[found[0][0]].querySelector?.("input") || inputs[found[0][0]]).focus();
  }
}
