// Sign-in and keys (admins only): the trust's single sign-on settings (issuer, client id, secret,
// allowed domains, whether new people come in as viewers), and rotating the API and CAD keys
// with a grace period. Secrets go to the server and are never shown back.
import { ApiError, normaliseLoc } from "/web/api.js";
import { $, when } from "/web/dom.js";

const SSO_FIELDS = ["name", "issuer", "client_id", "client_secret", "allowed_domains"];
const FIELD_INPUT = { name: "#sso-name", issuer: "#sso-issuer", client_id: "#sso-client-id",
  client_secret: "#sso-secret", allowed_domains: "#sso-domains" };

function graceWords(seconds) {
  if (!seconds) return "no time";
  if (seconds % 86400 === 0) return seconds === 86400 ? "1 day" : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? "1 hour" : `${seconds / 3600} hours`;
  return `${Math.round(seconds / 60)} minutes`;
}

export class AccessSettings {
  // `onNewApiKey(key)`: this tab signed in with the API key just replaced keeps working with the new one.
  constructor(api, base, { onNewApiKey } = {}) {
    this.api = api;
    this.base = base;
    this.onNewApiKey = onNewApiKey;
    this.current = null;
    $("#sso-form").addEventListener("submit", (e) => { e.preventDefault(); this.saveSso(); });
    $("#key-form").addEventListener("submit", (e) => { e.preventDefault(); this.rotate(); });
  }

  async show() {
    let found = null;
    try {
      found = await this.api("GET", `${this.base}/sso`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    this.current = found;
    // The browser's own address is the console's public one, the address the provider sends people back to.
    $("#sso-redirect").textContent = found?.redirect_uri || `${location.origin}/v1/auth/sso/callback`;
    $("#sso-status").textContent = found
      ? `Set up: people can “Sign in with ${found.name}” (changed ${when(found.updated_at)} UTC)`
      : "Not set up: people sign in with their email address and password";
    $("#sso-name").value = found?.name || "";
    $("#sso-issuer").value = found?.issuer || "";
    $("#sso-client-id").value = found?.client_id || "";
    $("#sso-secret").value = "";
    $("#sso-secret-hint").textContent = found?.client_secret_set
      ? "A secret is stored (encrypted; it is never shown). Leave this blank to keep it, or enter the new one."
      : "Stored encrypted and never shown again.";
    $("#sso-domains").value = (found?.allowed_domains || []).join(", ");
    $("#sso-viewers").checked = Boolean(found?.create_viewers);
    $("#sso-save").textContent = found ? "Save changes" : "Set up single sign-on";
  }

  clearErrors() {
    $("#sso-errors").textContent = "";
    $("#sso-saved").textContent = "";
    for (const key of SSO_FIELDS) {
      $(`#err-sso-${key}`).textContent = "";
      $(FIELD_INPUT[key]).removeAttribute("aria-invalid");
    }
  }

  markSso(found) {
    for (const [key, text] of found) {
      $(`#err-sso-${key}`).textContent = text;
      $(FIELD_INPUT[key]).setAttribute("aria-invalid", "true");
    }
    $(FIELD_INPUT[found[0][0]]).focus();
  }

  async saveSso() {
    this.clearErrors();
    const body = {
      issuer: $("#sso-issuer").value.trim(),
      client_id: $("#sso-client-id").value.trim(),
      allowed_domains: $("#sso-domains").value.split(/[,\s]+/).map((d) => d.trim()).filter(Boolean),
      create_viewers: $("#sso-viewers").checked,
    };
    const name = $("#sso-name").value.trim();
    if (name) body.name = name;
    const secret = $("#sso-secret").value;
    if (secret) body.client_secret = secret;
    const local = [];
    if (!/^https?:\/\/[^\s/]+/.test(body.issuer)) local.push(["issuer", "Enter the provider's address, starting https://"]);
    if (!body.client_id) local.push(["client_id", "Enter the client ID the provider gave this console."]);
    if (!secret && !this.current) local.push(["client_secret", "Enter the client secret the provider gave this console."]);
    if (local.length) { this.markSso(local); return; }
    const button = $("#sso-save");
    button.disabled = true;
    $("#sso-saved").textContent = "Checking the provider…";
    try {
      await this.api("PUT", `${this.base}/sso`, body);
      await this.show();
      $("#sso-saved").textContent = "Saved. The sign-in page now offers it; try it in a private window before telling people.";
    } catch (err) {
      $("#sso-saved").textContent = "";
      if (!(err instanceof ApiError)) throw err;
      const placed = err.errors.map((e) => [normaliseLoc(e.loc).split(".")[0], e.msg]).filter(([k]) => FIELD_INPUT[k]);
      if (placed.length) {
        if (placed.some(([k]) => k === "issuer")) placed.splice(0, placed.length, ["issuer", "The provider at this address did not answer with its OpenID configuration. Check the issuer URL."]);
        this.markSso(placed);
      }
      $("#sso-errors").textContent = `Nothing was saved: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  }

  async rotate() {
    $("#key-errors").textContent = "";
    const kind = $("#key-kind").value;
    const grace = Number($("#key-grace").value);
    const label = kind === "admin" ? "API key" : "CAD key";
    const users = kind === "admin" ? "scripts and automation using it" : "the dispatch system (CAD)";
    if (!window.confirm(`Issue a new ${label}? The current one keeps working for ${graceWords(grace)}; ${users} must be given the new one before then.`)) return;
    const button = $("#key-rotate");
    button.disabled = true;
    try {
      const path = kind === "admin" ? `${this.base}/admin-key/rotate` : `${this.base}/keys/rotate`;
      const answer = await this.api("POST", path, { grace_s: grace });
      const key = kind === "admin" ? answer.admin_key : answer.cad_key;
      const until = kind === "admin" ? answer.previous_valid_until : answer.previous_keys_expire_at;
      $("#key-for").textContent = `New ${label}`;
      $("#key-value").textContent = key;
      $("#key-grace-line").textContent = until
        ? `The previous ${label} works until ${when(until)} UTC, then stops.`
        : `There was no previous ${label} to replace.`;
      if (!grace && until) $("#key-grace-line").textContent = `The previous ${label} has stopped working.`;
      $("#key-box").hidden = false;
      if (kind === "admin") this.onNewApiKey?.(key);
    } catch (err) {
      $("#key-errors").textContent = `No new key was issued: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  }
}
