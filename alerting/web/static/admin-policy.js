// The policy editor: phases as rows, limits and categories. The server validates; its errors are
// shown next to the fields they name, and nothing is saved until they are fixed. Saving first shows
// what would change, field by field in the audit's words (POST .../policy/changes), and saves only
// once that is confirmed; an edit meanwhile withdraws the question. Without the policy role the
// same section shows the policy read-only.
import { ApiError, normaliseLoc } from "/web/api.js";
import { h, $, metres } from "/web/dom.js";
import { clearReplay, renderZones, replayDraft, wireZones } from "/web/admin-zones.js";
import { alerterPolicyLine } from "/web/admin-alerters.js";

const DEFAULT_PHASE = { name: "", groups: [], radius_m: 500, delay_s: 0 };
const phaseOf = new WeakMap();  // row -> the phase it was drawn from, so fields not edited here survive

function numberOrNull(value) {
  return value.trim() === "" ? null : Number(value);
}

export class PolicyEditor {
  constructor(api, base, rights) {
    this.api = api;
    this.base = base;
    this.editable = rights ? rights.can("policy") : true;
    this.policy = null;
    this.groups = [];
    $("#policy-form").hidden = !this.editable;
    $("#policy-summary").hidden = this.editable;
    $("#policy-form").addEventListener("submit", (e) => { e.preventDefault(); this.review(); });
    $("#policy-form").addEventListener("input", () => this.withdraw());
    $("#confirm-policy").addEventListener("click", () => this.save());
    $("#cancel-policy").addEventListener("click", () => { this.withdraw(); $("#save-policy").focus(); });
    $("#replay-policy").addEventListener("click", () => {
      this.clearErrors();
      replayDraft(this.api, this.base, this.read(), (err) => this.showErrors(err, "The draft could not be replayed."));
    });
    wireZones(api, base, () => { clearReplay(); return this.show(); });
    $("#add-phase").addEventListener("click", () => {
      const phases = this.readPhases();
      phases.push({ ...DEFAULT_PHASE, name: `phase ${phases.length + 1}` });
      this.renderPhases(phases);
      $(`#phase-${phases.length - 1}-name`).focus();
    });
  }

  async show() {
    this.groups = await this.api("GET", `${this.base}/groups`);
    try {
      this.policy = await this.api("GET", `${this.base}/policy`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
      if (!this.editable) {
        $("#policy-summary-phases").replaceChildren(h("tr", {}, h("td", { colspan: 4 }, "This trust has no alerting policy yet.")));
        return;
      }
      this.policy = { phases: [{ ...DEFAULT_PHASE, name: "first" }], accept_limit: 2, alert_ttl_s: 600, categories: ["*"],
        location_max_age_s: 900 };
    }
    this.fill(this.policy);
  }

  fill(policy) {
    $("#policy-version").textContent = policy.version ? String(policy.version) : "none";
    if (!this.editable) { this.summarise(policy); renderZones(policy); return; }
    this.renderPhases(policy.phases);
    $("#accept_limit").value = policy.accept_limit ?? "";
    $("#alert_ttl_s").value = policy.alert_ttl_s ?? "";
    $("#location_max_age_s").value = policy.location_max_age_s ?? "";
    $("#categories").value = (policy.categories || []).join(", ");
    const care = policy.aftercare || {};
    $("#check_in_after_min").value = care.check_in_after_s == null ? "" : String(Math.round(care.check_in_after_s / 6) / 10);
    $("#check_in_questions").value = (care.questions || []).join("\n");
    $("#wellbeing_emails").value = (care.wellbeing_emails || []).join(", ");
    $("#share_outcome").checked = Boolean(care.share_outcome);
    for (const input of document.querySelectorAll("#aftercare [id^='outcome-']")) {
      input.value = (care.outcome_texts || {})[input.id.slice("outcome-".length)] || "";
    }
    this.fillAlerter(policy.alerter || {});
    renderZones(policy);
  }

  // Only what the trust set, so a policy that never had the section gains no change by being saved.
  readAftercare() {
    const prior = this.policy?.aftercare || {};
    const minutes = numberOrNull($("#check_in_after_min").value);
    const texts = Object.fromEntries([...document.querySelectorAll("#aftercare [id^='outcome-']")]
      .map((input) => [input.id.slice("outcome-".length), input.value.trim()]).filter(([, text]) => text));
    const questions = $("#check_in_questions").value.split("\n").map((q) => q.trim()).filter(Boolean);
    const emails = $("#wellbeing_emails").value.split(",").map((e) => e.trim()).filter(Boolean);
    const share = $("#share_outcome").checked;
    const care = { ...prior };
    if (minutes == null) delete care.check_in_after_s; else care.check_in_after_s = Math.round(minutes * 60) || minutes * 60;
    if (questions.length || "questions" in prior) care.questions = questions;
    if (emails.length || "wellbeing_emails" in prior) care.wellbeing_emails = emails;
    if (share || "share_outcome" in prior) care.share_outcome = share;
    if (Object.keys(texts).length) care.outcome_texts = texts; else delete care.outcome_texts;
    return Object.keys(care).length ? care : undefined;
  }

  fillAlerter(a) {
    $("#alerter-enabled").checked = Boolean(a.enabled);
    for (const radio of document.querySelectorAll("input[name='alerter-mode']")) radio.checked = radio.value === (a.mode || "confirm");
    for (const radio of document.querySelectorAll("input[name='alerter-who']")) radio.checked = radio.value === (a.who || "registered");
    $("#alerter-radius").value = a.radius_m ?? "";
    $("#alerter-accept").value = a.accept_limit ?? "";
    $("#alerter-max").value = a.max_per_day ?? "";
    $("#alerter-number").value = a.emergency_number ?? "";
    $("#alerter-confirm-min").value = a.confirm_timeout_s == null ? "" : String(Math.round(a.confirm_timeout_s / 6) / 10);
    const chosen = a.groups || [];
    $("#alerter-groups").replaceChildren(h("legend", {}, "Groups alerted"),
      ...this.groups.map((g) => h("label", {}, h("input", { type: "checkbox", value: g.id, checked: chosen.includes(g.id) }),
        `${g.name}${g.trusted ? " (trusted)" : ""}`)));
  }

  // As for aftercare: a policy that never had the section gains none until alerters are switched on.
  readAlerter() {
    const prior = this.policy?.alerter;
    const enabled = $("#alerter-enabled").checked;
    if (!prior && !enabled) return undefined;
    const out = { ...(prior || {}), enabled };
    const set = (key, value) => { if (value === null || value === "") { if (!prior || !(key in prior)) delete out[key]; else out[key] = prior[key]; } else out[key] = value; };
    const mode = document.querySelector("input[name='alerter-mode']:checked")?.value;
    const who = document.querySelector("input[name='alerter-who']:checked")?.value;
    if (mode && (mode !== "confirm" || prior?.mode)) out.mode = mode;
    if (who && (who !== "registered" || prior?.who)) out.who = who;
    set("radius_m", numberOrNull($("#alerter-radius").value));
    set("accept_limit", numberOrNull($("#alerter-accept").value));
    set("max_per_day", numberOrNull($("#alerter-max").value));
    set("emergency_number", $("#alerter-number").value.trim());
    const minutes = numberOrNull($("#alerter-confirm-min").value);
    set("confirm_timeout_s", minutes === null ? null : Math.round(minutes * 60));
    const checked = [...document.querySelectorAll("#alerter-groups input:checked")].map((c) => c.value);
    const kept = (prior?.groups || []).filter((g) => checked.includes(g));
    const groups = [...kept, ...checked.filter((g) => !kept.includes(g))];
    if (groups.length || prior?.groups) out.groups = groups;
    return out;
  }

  summarise(policy) {
    const group = (id) => this.groups.find((g) => g.id === id)?.name || id;
    $("#policy-summary-phases").replaceChildren(...(policy.phases || []).map((p) => h("tr", {},
      h("th", { scope: "row" }, p.name), h("td", {}, metres(p.radius_m)), h("td", {}, `${p.delay_s} s`),
      h("td", {}, (p.groups || []).map(group).join(", ")))));
    const facts = [["Accept limit", policy.accept_limit], ["Alert lifetime", `${policy.alert_ttl_s} s`],
      ["Oldest usable location", `${policy.location_max_age_s} s`], ["Categories alerted", (policy.categories || []).join(", ")],
      ["Alerters", alerterPolicyLine(policy.alerter)]];
    $("#policy-summary-limits").replaceChildren(...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "")]));
  }

  renderPhases(phases) {
    const rows = phases.map((phase, i) => {
      const id = (f) => `phase-${i}-${f}`;
      const err = (f) => h("p", { class: "field-error", id: `err-${id(f)}` });
      const input = (f, label, attrs) => h("div", { class: "field" },
        h("label", { for: id(f) }, label),
        h("input", { id: id(f), "data-loc": `phases.${i}.${f}`, "aria-describedby": `err-${id(f)}`, ...attrs }), err(f));
      const row = h("fieldset", { class: "phase", id: `phase-${i}`, dataset: { index: i, loc: `phases.${i}` },
        "aria-describedby": `err-phase-${i}` },
        h("legend", {}, `Phase ${i + 1}`),
        h("p", { class: "field-error", id: `err-phase-${i}` }),
        h("div", { class: "row" },
          input("name", "Name", { type: "text", value: phase.name }),
          input("radius_m", "Radius (m)", { type: "number", min: 10, max: 20000, step: 1, value: phase.radius_m, inputmode: "numeric" }),
          input("delay_s", "Delay (s)", { type: "number", min: 0, step: 1, value: phase.delay_s, inputmode: "numeric" })),
        h("fieldset", { class: "checks", id: id("groups"), "data-loc": `phases.${i}.groups`, "aria-describedby": `err-${id("groups")}` },
          h("legend", {}, "Groups alerted"),
          this.groups.map((g) => h("label", {}, h("input", { type: "checkbox", value: g.id, checked: phase.groups.includes(g.id) }),
            `${g.name}${g.trusted ? " (trusted)" : ""}`))),
        err("groups"),
        phases.length > 1 ? h("button", { type: "button", class: "secondary", onclick: () => {
          const current = this.readPhases();
          current.splice(i, 1);
          this.renderPhases(current);
          $("#add-phase").focus();
        } }, `Remove phase ${i + 1}`) : "");
      phaseOf.set(row, phase);
      return row;
    });
    $("#phases").replaceChildren(...rows);
  }

  readPhases() {
    return [...document.querySelectorAll("#phases fieldset.phase")].map((row, i) => {
      const value = (f) => $(`#phase-${i}-${f}`, row).value;
      const drawn = phaseOf.get(row) || {};
      const checked = [...row.querySelectorAll(`#phase-${i}-groups input:checked`)].map((c) => c.value);
      // Groups keep the order they were saved in, so an untouched phase reads as unchanged in the audit.
      const kept = (drawn.groups || []).filter((g) => checked.includes(g));
      const groups = [...kept, ...checked.filter((g) => !kept.includes(g))];
      return { ...drawn, name: value("name").trim(), radius_m: numberOrNull(value("radius_m")),
        delay_s: numberOrNull(value("delay_s")), groups };
    });
  }

  read() {
    const { version, warnings, ...rest } = this.policy || {};
    return {
      ...rest,
      phases: this.readPhases(),
      accept_limit: numberOrNull($("#accept_limit").value),
      alert_ttl_s: numberOrNull($("#alert_ttl_s").value),
      location_max_age_s: numberOrNull($("#location_max_age_s").value),
      categories: $("#categories").value.split(",").map((c) => c.trim()).filter(Boolean),
      aftercare: this.readAftercare(),
      alerter: this.readAlerter(),
    };
  }

  clearErrors() {
    $("#policy-errors").replaceChildren();
    $("#policy-saved").textContent = "";
    for (const el of document.querySelectorAll("#policy-form .field-error")) el.textContent = "";
    for (const el of document.querySelectorAll("#policy-form [aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  showErrors(err, heading = "The policy was not saved. Fix the fields marked below.") {
    const unplaced = [];
    let first = null;
    for (const e of err.errors.length ? err.errors : [{ loc: "", msg: err.message }]) {
      const loc = normaliseLoc(e.loc);
      const field = document.querySelector(`#policy-form [data-loc="${CSS.escape(loc)}"]`)
        || document.querySelector(`#policy-form [data-loc="${CSS.escape(loc.replace(/\.\d+$/, ""))}"]`);
      if (field) {
        field.setAttribute("aria-invalid", "true");
        const box = document.getElementById(`err-${field.id}`);
        box.textContent = box.textContent ? `${box.textContent}; ${e.msg}` : e.msg;
        first ??= field;
      } else {
        unplaced.push(loc ? `${loc}: ${e.msg}` : e.msg);
      }
    }
    const summary = $("#policy-errors");
    summary.replaceChildren(h("p", {}, heading),
      unplaced.length ? h("ul", {}, unplaced.map((m) => h("li", {}, m))) : "");
    (first?.matches("fieldset") ? first.querySelector("input") : first)?.focus();
  }

  /** Ask the server what saving the draft would change; show it and ask to confirm. */
  async review() {
    this.clearErrors();
    this.withdraw();
    const button = $("#save-policy");
    button.disabled = true;
    try {
      const draft = this.read();
      const preview = await this.api("POST", `${this.base}/policy/changes`, draft);
      if (!preview.changes.length) {
        $("#policy-saved").textContent = `Nothing to save: this is the same as version ${preview.version ?? "none"}.`;
        return;
      }
      this.pending = draft;
      $("#policy-confirm-against").textContent = preview.version
        ? `Saving makes version ${preview.version + 1}. Compared with version ${preview.version}:`
        : "Saving makes the trust's first policy:";
      $("#policy-changes").replaceChildren(...preview.changes.map((c) => h("li", {}, c)));
      $("#policy-confirm-warnings").replaceChildren(...(preview.warnings || []).map((w) => h("p", { class: "hint" }, `Warning: ${w}`)));
      $("#policy-confirm").hidden = false;
      $("#policy-confirm-title").focus();
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) this.showErrors(err);
      else $("#policy-errors").replaceChildren(h("p", {}, `Not saved: ${err.message}`));
    } finally {
      button.disabled = false;
    }
  }

  /** The question no longer stands: the draft changed, or the person went back to editing. */
  withdraw() {
    this.pending = null;
    $("#policy-confirm").hidden = true;
  }

  async save() {
    const draft = this.pending;
    if (!draft) return;
    this.clearErrors();
    const button = $("#confirm-policy");
    button.disabled = true;
    try {
      const saved = await this.api("PUT", `${this.base}/policy`, draft);
      this.withdraw();
      this.policy = saved;
      this.fill(saved);
      clearReplay();  // it compared against the policy that was current before this save
      const warn = saved.warnings?.length ? ` Warnings: ${saved.warnings.join("; ")}` : "";
      $("#policy-saved").textContent = `Saved as version ${saved.version}.${warn}`;
      $("#save-policy").focus();
    } catch (err) {
      this.withdraw();
      if (err instanceof ApiError && err.status === 422) this.showErrors(err);
      else $("#policy-errors").replaceChildren(h("p", {}, `Not saved: ${err.message}`));
    } finally {
      button.disabled = false;
    }
  }
}
