// The responder's credentials on the phone: what they hold (checked, waiting to be checked,
// expired), what their trust requires and lacks, and uploading a renewed certificate (a photo or
// a PDF) to POST /v1/me/credentials. The server checks the file by its content; its refusals are
// said in words beside the field.
import { h, $ } from "/web/dom.js";
import { language, t } from "/web/responder-i18n.js";

const ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png";
const MAX_BYTES = 5 * 1024 * 1024;

/** "cpr" → "CPR", "first_aid" → "First aid": trusts name their own kinds. */
export function kindText(kind) {
  const text = String(kind || "").replace(/[_.-]+/g, " ").trim();
  if (text.length <= 4 && !text.includes(" ")) return text.toUpperCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function day(iso) {
  const d = new Date(`${iso}T12:00:00Z`);
  return d.toLocaleDateString(language() === "cy" ? "cy-GB" : "en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

function statusText(c) {
  if (c.expired) return t("cred.status.expired", { date: day(c.expires_on) });
  if (c.status === "verified") return t("cred.status.verified", { date: day(c.expires_on) });
  return t("cred.status.pending", { date: day(c.expires_on) });
}

export class CredentialsPanel {
  /** `token()`: the responder token; `onSaved()`: reload the profile (missing credentials may change). */
  constructor({ token, onSaved }) {
    this.token = token;
    this.onSaved = onSaved;
    this.profile = {};
    $("#credential-file").setAttribute("accept", ACCEPT);
    $("#credential-form").addEventListener("submit", (e) => { e.preventDefault(); this.upload(); });
  }

  kinds() {
    const held = (this.profile.credentials || []).map((c) => c.kind);
    return [...new Set([...(this.profile.required_credentials || []), ...held])];
  }

  render(profile) {
    this.profile = profile || {};
    const kinds = this.kinds();
    $("#credentials").hidden = kinds.length === 0;
    const missing = new Set(this.profile.missing_credentials || []);
    const held = [...(this.profile.credentials || [])].sort((a, b) => (b.uploaded_at || "").localeCompare(a.uploaded_at || ""));
    $("#credential-list").replaceChildren(
      ...[...missing].filter((k) => !held.some((c) => c.kind === k && c.status !== "verified" && !c.expired))
        .map((k) => h("li", { class: "missing", dataset: { kind: k } },
          h("strong", {}, kindText(k)), h("span", {}, t("cred.status.missing")))),
      ...held.map((c) => h("li", { class: c.expired ? "expired" : c.status, dataset: { kind: c.kind, credentialId: c.id } },
        h("strong", {}, kindText(c.kind)), h("span", {}, statusText(c)))));
    const select = $("#credential-kind");
    const chosen = select.value;
    select.replaceChildren(...kinds.map((k) => h("option", { value: k }, kindText(k))));
    const first = [...missing][0];
    select.value = kinds.includes(chosen) ? chosen : (first || kinds[0] || "");
  }

  /** The reminder's words, in the responder's language: which credential, and when it expires. */
  reminderText(frame) {
    const kind = kindText(frame.kind);
    if (frame.days_left <= 0) return t("reminder.today", { kind });
    return t(frame.days_left === 1 ? "reminder.tomorrow" : "reminder.days", { kind, days: frame.days_left, date: day(frame.expires_on) });
  }

  fieldError(id, text) {
    const input = $(`#${id}`);
    $(`#${id}-error`).textContent = text;
    if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  }

  async upload() {
    const say = $("#credential-status");
    say.textContent = "";
    this.fieldError("credential-expires", "");
    this.fieldError("credential-file", "");
    const kind = $("#credential-kind").value;
    const expires = $("#credential-expires").value;
    const file = $("#credential-file").files[0];
    const today = new Date().toISOString().slice(0, 10);
    if (!expires || expires < today) {
      this.fieldError("credential-expires", t(expires ? "cred.error.past" : "cred.error.date"));
      $("#credential-expires").focus();
      return;
    }
    if (!file) { this.fieldError("credential-file", t("cred.error.nofile")); $("#credential-file").focus(); return; }
    if (file.size > MAX_BYTES) { this.fieldError("credential-file", t("cred.error.large")); $("#credential-file").focus(); return; }
    const form = new FormData();
    form.append("kind", kind);
    form.append("expires_on", expires);
    form.append("file", file, file.name);
    const button = $("#credential-upload");
    button.disabled = true;
    say.textContent = t("cred.uploading");
    try {
      const response = await fetch("/v1/me/credentials", { method: "POST", body: form, headers: { Authorization: `Bearer ${this.token()}` } });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        say.textContent = "";
        if (response.status === 415) this.fieldError("credential-file", t("cred.error.type"));
        else if (response.status === 413) this.fieldError("credential-file", t("cred.error.large"));
        else if (response.status === 422 && JSON.stringify(answer.errors || "").includes("expires_on")) this.fieldError("credential-expires", t("cred.error.past"));
        else say.textContent = t("cred.failed", { detail: answer.detail || response.statusText });
        return;
      }
      $("#credential-form").reset();
      say.textContent = t("cred.uploaded", { kind: kindText(answer.kind) });
      await this.onSaved();
      $("#credential-kind").value = answer.kind;
    } catch (err) {
      say.textContent = t("cred.failed", { detail: err.message });
    } finally {
      button.disabled = false;
    }
  }
}
