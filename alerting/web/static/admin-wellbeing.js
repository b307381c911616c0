// The wellbeing queue (verifiers and admins): responders who answered the check-in after a call
// with "I'd like to talk to someone", with their answers to the trust's questions.
import { $, h, when } from "/web/dom.js";

export class WellbeingQueue {
  constructor(api, base) {
    this.api = api;
    this.base = base;
    $("#wellbeing-refresh").addEventListener("click", () => this.show());
  }

  async show() {
    const say = $("#wellbeing-status");
    say.textContent = "Loading…";
    const items = await this.api("GET", `${this.base}/wellbeing`);
    $("#wellbeing-list").replaceChildren(...items.map((item) => h("li", { dataset: { alertId: item.alert_id } },
      h("h3", {}, item.name || "An erased responder"),
      h("p", { class: "when" }, `Asked to talk ${when(item.answered_at)} UTC, after incident ${item.cad_ref || "(no reference)"}`),
      item.answers.length ? h("dl", {}, ...item.answers.flatMap((a) => [h("dt", {}, a.question), h("dd", {}, a.answer || "(no answer)")])) : null)));
    say.textContent = items.length ? `${items.length} ${items.length === 1 ? "request" : "requests"} to talk` : "Nobody has asked to talk.";
  }
}
