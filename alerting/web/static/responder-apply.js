// Applying to volunteer, from the link a trust publishes (`/responder?apply=<trust id>`): name and
// contact (POST /v1/trusts/{trust}/registrations), then each credential the trust requires as a
// photo or PDF with its date (POST /v1/registrations/{id}/credentials with the upload token), then
// what happens next. No account is made here: the trust's verifier approves, and the invite link
// they send signs the app in.
import { h, $ } from "/web/dom.js";
import { t } from "/web/responder-i18n.js";
import { kindText } from "/web/responder-credentials.js";

async function send(path, init) {
  const response = await fetch(path, init);
  const answer = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, answer };
}

export class Application {
  constructor(trustId) {
    this.trustId = trustId;
    this.reg = null;
    $("#apply-form").addEventListener("submit", (e) => { e.preventDefault(); this.apply(); });
  }

  show() {
    $("#apply").hidden = false;
    $("#join").hidden = true;
    $("#apply-name").focus();
  }

  fieldError(id, text) {
    $(`#${id}-error`).textContent = text;
    if (text) $(`#${id}`).setAttribute("aria-invalid", "true"); else $(`#${id}`).removeAttribute("aria-invalid");
  }

  async apply() {
    const say = $("#apply-status");
    say.textContent = "";
    this.fieldError("apply-name", "");
    this.fieldError("apply-email", "");
    const name = $("#apply-name").value.trim();
    const email = $("#apply-email").value.trim();
    const phone = $("#apply-phone").value.trim();
    if (!name) { this.fieldError("apply-name", t("apply.error.name")); $("#apply-name").focus(); return; }
    if (!email && !phone) { this.fieldError("apply-email", t("apply.error.contact")); $("#apply-email").focus(); return; }
    const body = { name, ...(email ? { email } : {}), ...(phone ? { phone } : {}) };
    say.textContent = t("apply.sending");
    const { ok, status, answer } = await send(`/v1/trusts/${encodeURIComponent(this.trustId)}/registrations`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!ok) {
      say.textContent = status === 404 ? t("apply.closed") : status === 429 ? t("apply.busy")
        : status === 422 ? t("apply.invalid") : t("apply.failed", { detail: answer.detail || status });
      return;
    }
    this.reg = answer;
    say.textContent = "";
    $("#apply-form").hidden = true;
    this.renderUploads();
  }

  renderUploads() {
    const kinds = this.reg.required_credentials || [];
    const box = $("#apply-uploads");
    box.hidden = false;
    if (!kinds.length) { this.done(); return; }
    $("#apply-uploads-intro").textContent = t("apply.uploads", { kinds: kinds.map(kindText).join(", ") });
    $("#apply-upload-list").replaceChildren(...kinds.map((kind) => this.uploadForm(kind)));
    $("#apply-upload-list input")?.focus();
  }

  uploadForm(kind) {
    const id = `apply-${kind.replace(/[^a-z0-9]/g, "-")}`;
    const error = h("p", { class: "field-error", id: `${id}-error`, "aria-live": "polite" });
    const status = h("p", { role: "status" });
    const date = h("input", { type: "date", id: `${id}-date`, "aria-describedby": `${id}-error` });
    const file = h("input", { type: "file", id: `${id}-file`, accept: "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png",
      "aria-describedby": `${id}-hint ${id}-error` });
    const form = h("form", { class: "apply-upload", novalidate: true, dataset: { kind }, "aria-label": kindText(kind), onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = "";
      const today = new Date().toISOString().slice(0, 10);
      if (!date.value || date.value < today) { error.textContent = t(date.value ? "cred.error.past" : "cred.error.date"); date.focus(); return; }
      if (!file.files[0]) { error.textContent = t("cred.error.nofile"); file.focus(); return; }
      const data = new FormData();
      data.append("kind", kind);
      data.append("expires_on", date.value);
      data.append("file", file.files[0], file.files[0].name);
      status.textContent = t("cred.uploading");
      const { ok, status: code, answer } = await send(`/v1/registrations/${encodeURIComponent(this.reg.id)}/credentials`, {
        method: "POST", body: data, headers: { Authorization: `Bearer ${this.reg.upload_token}` } });
      status.textContent = "";
      if (!ok) {
        error.textContent = code === 415 ? t("cred.error.type") : code === 413 ? t("cred.error.large")
          : code === 422 ? t("cred.error.past") : t("cred.failed", { detail: answer.detail || code });
        return;
      }
      form.dataset.done = "1";
      form.replaceChildren(h("h3", {}, kindText(kind)), h("p", { class: "done" }, t("apply.uploaded", { kind: kindText(kind) })));
      if ([...document.querySelectorAll("form.apply-upload")].every((f) => f.dataset.done)) this.done();
    } },
    h("h3", {}, kindText(kind)),
    h("div", { class: "field" }, h("label", { for: date.id }, t("cred.expires")), date),
    h("div", { class: "field" }, h("label", { for: file.id }, t("cred.file")), h("p", { class: "hint", id: `${id}-hint` }, t("cred.file.hint")), file),
    error, h("button", { type: "submit" }, t("cred.upload"), h("span", { class: "visually-hidden" }, ` ${kindText(kind)}`)), status);
    return form;
  }

  done() {
    $("#apply-done").textContent = t("apply.done");
    $("#apply-done").hidden = false;
    $("#apply-done").focus();
  }
}
