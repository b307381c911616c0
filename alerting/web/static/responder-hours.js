// On-duty hours on the phone: whether "now" is inside the hours the responder set (the same rule as
// the server's alerting/domain/duty_hours.py: a window belongs to the day it starts on, may run past
// midnight, and start == end is the whole day), when the next window opens, and the profile's editor.
import { h } from "/web/dom.js";
import { t } from "/web/responder-i18n.js";

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const JS_DAY = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/** The weekday (0 = Monday) and minutes since midnight of `date` in the zone `tz`. */
function local(date, tz) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: tz, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(date).map((p) => [p.type, p.value]));
  return { day: JS_DAY[parts.weekday], minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const minutesOf = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function covers(w, day, minutes) {
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  const days = new Set(w.days);
  const today = DAYS[day];
  const yesterday = DAYS[(day + 6) % 7];
  if (start === end) return days.has(today);
  if (start < end) return days.has(today) && minutes >= start && minutes < end;
  return (days.has(today) && minutes >= start) || (days.has(yesterday) && minutes < end);
}

export function onDutyAt(spec, date = new Date()) {
  if (!spec) return true;
  const { day, minutes } = local(date, spec.tz || "Europe/London");
  return (spec.windows || []).some((w) => covers(w, day, minutes));
}

/** When the next window opens, in words: "today at 18:00", "tomorrow at 06:00", "on Saturday at 09:00". */
export function nextStartText(spec, date = new Date()) {
  if (!spec?.windows?.length) return "";
  const { day, minutes } = local(date, spec.tz || "Europe/London");
  let best = null;
  for (let offset = 0; offset <= 7 && !best; offset++) {
    const d = (day + offset) % 7;
    const starts = spec.windows.filter((w) => w.days.includes(DAYS[d])).map((w) => minutesOf(w.start))
      .filter((m) => offset > 0 || m > minutes).sort((a, b) => a - b);
    if (starts.length) best = { offset, d, m: starts[0] };
  }
  if (!best) return "";
  const time = `${String(Math.floor(best.m / 60)).padStart(2, "0")}:${String(best.m % 60).padStart(2, "0")}`;
  if (best.offset === 0) return t("hours.when.today", { time });
  if (best.offset === 1) return t("hours.when.tomorrow", { time });
  return t("hours.when.day", { day: t(`day.${DAYS[best.d]}`), time });
}

/** The profile's editor of the hours: radio "whenever on duty" / "only during these hours", and windows. */
export class HoursEditor {
  constructor(root) {
    this.root = root;
    this.list = root.querySelector("#hours-list");
    this.error = root.querySelector("#hours-error");
    root.querySelector("#hours-add").addEventListener("click", () => { this.addWindow(); this.focusLast(); });
    for (const radio of root.querySelectorAll('input[name="hours-mode"]')) radio.addEventListener("change", () => this.showMode());
  }

  get scheduled() { return this.root.querySelector('input[name="hours-mode"][value="set"]').checked; }

  fill(spec) {
    this.root.querySelector(`input[name="hours-mode"][value="${spec ? "set" : "always"}"]`).checked = true;
    this.list.replaceChildren();
    for (const w of spec?.windows || [{ days: ["mon", "tue", "wed", "thu", "fri"], start: "18:00", end: "23:00" }]) this.addWindow(w);
    this.error.textContent = "";
    this.showMode();
  }

  showMode() {
    this.root.querySelector("#hours-windows").hidden = !this.scheduled;
  }

  addWindow(w = { days: ["sat", "sun"], start: "09:00", end: "17:00" }) {
    const n = this.list.children.length + 1;
    const id = `hours-${Date.now().toString(36)}-${n}`;
    const row = h("fieldset", { class: "hours-window" },
      h("legend", {}, t("hours.window", { n })),
      h("div", { class: "days" }, DAYS.map((d) => h("label", {},
        h("input", { type: "checkbox", value: d, checked: w.days.includes(d) }), h("span", {}, t(`day.short.${d}`))))),
      h("div", { class: "times" },
        h("div", { class: "field" }, h("label", { for: `${id}-start` }, t("hours.from")),
          h("input", { type: "time", id: `${id}-start`, class: "start", value: w.start, required: true })),
        h("div", { class: "field" }, h("label", { for: `${id}-end` }, t("hours.to")),
          h("input", { type: "time", id: `${id}-end`, class: "end", value: w.end, required: true }))),
      h("button", { type: "button", class: "secondary remove", onclick: () => { row.remove(); this.renumber(); } },
        t("hours.remove"), h("span", { class: "visually-hidden" }, ` ${n}`)));
    this.list.append(row);
  }

  renumber() {
    [...this.list.children].forEach((row, i) => { row.querySelector("legend").textContent = t("hours.window", { n: i + 1 }); });
  }

  focusLast() {
    this.list.lastElementChild?.querySelector("input")?.focus();
  }

  /** The hours to save (null: whenever on duty), or undefined with the problem shown. */
  value() {
    this.error.textContent = "";
    if (!this.scheduled) return null;
    const windows = [...this.list.children].map((row) => ({
      days: [...row.querySelectorAll(".days input:checked")].map((c) => c.value),
      start: row.querySelector(".start").value,
      end: row.querySelector(".end").value,
    }));
    const bad = windows.findIndex((w) => !w.days.length || !/^\d\d:\d\d$/.test(w.start) || !/^\d\d:\d\d$/.test(w.end));
    if (!windows.length || bad >= 0) {
      this.error.textContent = windows.length ? t("hours.invalid", { n: bad + 1 }) : t("hours.none");
      (this.list.children[bad]?.querySelector("input") || this.root.querySelector("#hours-add")).focus();
      return undefined;
    }
    return { tz: Intl.DateTimeFormat().resolvedOptions().timeZone || "Europe/London", windows };
  }
}
