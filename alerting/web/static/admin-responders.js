// Responders: list and search, add, suspend or reactivate, erase, issue a token (shown once), and
// CSV import with a progress bar fed by the server's per-row results.
import { ApiError, normaliseLoc } from "/web/api.js";
import { h, $ } from "/web/dom.js";
import { Applications, RegistrationSettings, credentialsEditor, showInvite, wireInviteCopy } from "/web/admin-onboarding.js";

export class ResponderManager {
  constructor(api, base) {
    this.api = api;
    this.base = base;
    this.groups = [];
    $("#search-form").addEventListener("submit", (e) => { e.preventDefault(); this.refresh(); });
    $("#add-form").addEventListener("submit", (e) => { e.preventDefault(); this.add(); });
    $("#import-form").addEventListener("submit", (e) => { e.preventDefault(); this.importCsv(); });
    wireInviteCopy();
    this.applications = new Applications(api, base, () => this.refresh());
    this.registration = new RegistrationSettings(api, base, decodeURIComponent(base.split("/").pop()));
  }

  async show() {
    this.groups = await this.api("GET", `${this.base}/groups`);
    $("#new-groups").replaceChildren(h("legend", {}, "Groups"),
      ...this.groups.map((g) => h("label", {}, h("input", { type: "checkbox", value: g.id }), g.name)));
    await this.refresh();
    await this.registration.show(this.groups);
    await this.applications.show(this.groups);
  }

  message(text, kind = "") {
    const el = $("#responder-message");
    el.textContent = text;
    el.className = `banner ${kind}`;
  }

  async refresh() {
    const q = $("#search").value.trim();
    const rows = await this.api("GET", `${this.base}/responders?limit=200${q ? `&q=${encodeURIComponent(q)}` : ""}`);
    const body = $("#responder-rows");
    if (!rows.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 5 }, q ? `No responder matches “${q}”.` : "No responders yet.")));
      return;
    }
    body.replaceChildren(...rows.map((r) => h("tr", { dataset: { responderId: r.id } },
      h("td", { "data-label": "Id" }, r.id), h("td", { "data-label": "Name" }, r.name),
      h("td", { "data-label": "Groups" }, r.groups.map((g) => this.groups.find((x) => x.id === g)?.name || g).join(", ")),
      h("td", { "data-label": "Status" }, h("span", { class: `status state-${r.status}` }, r.status)),
      h("td", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: () => this.setStatus(r, r.status === "active" ? "suspended" : "active") },
          r.status === "active" ? "Suspend" : "Reactivate", h("span", { class: "visually-hidden" }, ` ${r.name}`)), " ",
        h("button", { type: "button", onclick: () => this.invite(r) },
          "Invite to the app", h("span", { class: "visually-hidden" }, ` ${r.name}`)), " ",
        h("button", { type: "button", class: "secondary", onclick: (e) => credentialsEditor(this.api, this.base, r, e.currentTarget,
          (text, kind) => this.message(text, kind)) }, "Credentials", h("span", { class: "visually-hidden" }, ` of ${r.name}`)), " ",
        h("button", { type: "button", class: "secondary", onclick: () => this.issueToken(r) },
          "Issue token", h("span", { class: "visually-hidden" }, ` for ${r.name}`)), " ",
        h("button", { type: "button", class: "danger", onclick: () => this.erase(r) },
          "Erase", h("span", { class: "visually-hidden" }, ` ${r.name}`))))));
  }

  async setStatus(r, status) {
    await this.guard(async () => {
      await this.api("PATCH", `${this.base}/responders/${encodeURIComponent(r.id)}`, { status });
      this.message(`${r.name} is now ${status}.`, "ok");
      await this.refresh();
    });
  }

  async invite(r) {
    await this.guard(async () => {
      const invite = await this.api("POST", `${this.base}/responders/${encodeURIComponent(r.id)}/invites`);
      $("#token-box").hidden = true;
      showInvite(invite, r.name);
      this.message(`An invite link for ${r.name} is below.`, "ok");
    });
  }

  async issueToken(r) {
    await this.guard(async () => {
      const { token } = await this.api("POST", `${this.base}/responders/${encodeURIComponent(r.id)}/tokens`);
      $("#token-for").textContent = r.name;
      $("#token-value").textContent = token;
      $("#token-box").hidden = false;
      $("#responder-invite").hidden = true;
      this.message(`A new token was issued for ${r.name}. It is shown below once.`, "ok");
    });
  }

  async erase(r) {
    if (!window.confirm(`Erase ${r.name} (${r.id}) and their location history? This cannot be undone.`)) return;
    await this.guard(async () => {
      await this.api("DELETE", `${this.base}/responders/${encodeURIComponent(r.id)}`);
      this.message(`${r.name} was erased.`, "ok");
      await this.refresh();
    });
  }

  async guard(action) {
    try { await action(); } catch (err) { this.message(err.message, "error"); }
  }

  async add() {
    const errors = { id: $("#err-new-id"), name: $("#err-new-name"), groups: $("#err-new-groups") };
    for (const el of Object.values(errors)) el.textContent = "";
    $("#add-errors").textContent = "";
    for (const el of document.querySelectorAll("#add-form [aria-invalid]")) el.removeAttribute("aria-invalid");
    const body = { id: $("#new-id").value.trim(), name: $("#new-name").value.trim(),
      groups: [...document.querySelectorAll("#new-groups input:checked")].map((c) => c.value) };
    try {
      const created = await this.api("POST", `${this.base}/responders`, body);
      this.message(`${created.name} was added.`, "ok");
      $("#add-form").reset();
      await this.refresh();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      let placed = false;
      for (const e of err.errors) {
        const key = normaliseLoc(e.loc).split(".")[0];
        if (errors[key]) {
          errors[key].textContent = e.msg;
          (key === "groups" ? $("#new-groups") : $(`#new-${key}`)).setAttribute("aria-invalid", "true");
          placed = true;
        }
      }
      $("#add-errors").textContent = placed ? "The responder was not added. Fix the fields marked below." : err.message;
    }
  }

  async importCsv() {
    const file = $("#csv-file").files[0];
    const report = $("#import-report");
    const progress = $("#import-progress");
    const summary = $("#import-summary");
    $("#import-error").textContent = "";
    report.replaceChildren();
    $("#import-report-wrap").hidden = true;
    if (!file) { $("#import-error").textContent = "Choose a CSV file first."; return; }
    $("#import-progress-wrap").hidden = false;
    progress.value = 0;
    summary.textContent = "Importing…";
    try {
      const response = await this.api("POST", `${this.base}/responders/import`, await file.text(), { raw: true, contentType: "text/csv" });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n")) >= 0) {
          this.onImportLine(JSON.parse(buffer.slice(0, cut)), progress, summary, report);
          buffer = buffer.slice(cut + 1);
        }
      }
      await this.refresh();
    } catch (err) {
      summary.textContent = "";
      $("#import-progress-wrap").hidden = true;
      $("#import-error").textContent = `Nothing was imported: ${err.message}`;
    }
  }

  onImportLine(line, progress, summary, report) {
    if (line.type === "start") {
      progress.max = line.total;
    } else if (line.type === "row") {
      progress.value = line.done;
      summary.textContent = `${line.done} of ${line.total} rows processed`;
      if (!line.ok) {
        $("#import-report-wrap").hidden = false;
        report.append(h("tr", { dataset: { line: line.line } }, h("td", {}, line.line), h("td", {}, line.id || ""),
          h("td", {}, line.errors.join("; "))));
      }
    } else if (line.type === "done") {
      progress.value = line.total;
      summary.textContent = `Import finished: ${line.created} added, ${line.failed} not imported (see the report below).`;
      if (!line.failed) summary.textContent = `Import finished: ${line.created} added.`;
    }
  }
}
