// The Numbers page: how the scheme performed over a period, for a group and a zone, from
// GET .../stats. Headline figures in words, four charts (Chart.js, vendored like Leaflet), each
// with its numbers in a table beneath for those who do not read charts, and a CSV download.
import { h, $ } from "/web/dom.js";

const REASONS = { too_far: "Too far", busy: "Busy", unsafe: "Not safe", other: "Other reason", none_given: "No reason given" };
const COLOURS = ["#1d70b8", "#00703c", "#d4351c", "#6f72af", "#505a5f"];

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace(".000Z", "Z");
}

function seconds(value) {
  if (value === null || value === undefined) return "none yet";
  return value < 120 ? `${Math.round(value)} s` : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

function percent(share) {
  return share === null || share === undefined ? "not known" : `${Math.round(share * 100)}%`;
}

export class StatsView {
  constructor(api, base) {
    this.api = api;
    this.base = base;
    this.charts = {};
    const today = new Date();
    const monthAgo = new Date(today.getTime() - 29 * 86400000);
    $("#stats-from").value = isoDay(monthAgo);
    $("#stats-to").value = isoDay(today);
    $("#stats-filters").addEventListener("submit", (e) => { e.preventDefault(); this.refresh(); });
    $("#stats-csv").addEventListener("click", () => this.download());
  }

  async show() {
    const [groups, policy] = await Promise.all([
      this.api("GET", `${this.base}/groups`),
      this.api("GET", `${this.base}/policy`).catch(() => ({ zones: [] })),
    ]);
    const keep = (select, options) => {
      const chosen = select.value;
      select.replaceChildren(select.options[0], ...options.map(([v, label]) => h("option", { value: v }, label)));
      select.value = options.some(([v]) => v === chosen) ? chosen : "";
    };
    keep($("#stats-group"), groups.map((g) => [g.id, g.name]));
    keep($("#stats-zone"), (policy.zones || []).map((z) => [z.name, z.name]));
    await this.refresh();
  }

  hide() {}

  query() {
    const from = $("#stats-from").value;
    const to = $("#stats-to").value;
    $("#stats-error").textContent = "";
    if (!from || !to) { $("#stats-error").textContent = "Choose both dates."; return null; }
    if (to < from) { $("#stats-error").textContent = "The end date is before the start date."; return null; }
    const params = new URLSearchParams({ from: `${from}T00:00:00Z`, to: nextDay(to) });
    if ($("#stats-group").value) params.set("group", $("#stats-group").value);
    if ($("#stats-zone").value) params.set("zone", $("#stats-zone").value);
    return params;
  }

  async refresh() {
    const params = this.query();
    if (!params) return;
    try {
      this.render(await this.api("GET", `${this.base}/stats?${params}`));
    } catch (err) {
      $("#stats-error").textContent = `The numbers could not be loaded: ${err.message}`;
    }
  }

  render(s) {
    const facts = [
      ["Incidents", s.incidents],
      ["Incidents where a responder was alerted", s.alerted],
      ["Incidents where a responder accepted", s.accepted],
      ["Alerts accepted", s.alerts ? `${s.alerts_accepted} of ${s.alerts} (${percent(s.acceptance_rate)})` : "no alerts sent"],
      ["Time to the first accept", `typically ${seconds(s.time_to_first_accept_s.p50)}; 9 in 10 within ${seconds(s.time_to_first_accept_s.p90)}`],
      ["Time to the first responder on scene", `typically ${seconds(s.time_to_arrive_s.p50)}; 9 in 10 within ${seconds(s.time_to_arrive_s.p90)}`],
      ["A responder on scene before the ambulance", s.ahead_of_ambulance.share === null
        ? "not known: the CAD has sent no ambulance arrival times for these incidents"
        : `${percent(s.ahead_of_ambulance.share)} (${s.ahead_of_ambulance.responder_first} of ${s.ahead_of_ambulance.incidents_with_ambulance_arrival} incidents with an ambulance arrival time)`],
      ["Certificates expiring in the next 30 days", String(s.credential_expiries.total)],
    ];
    $("#stats-facts").replaceChildren(...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]));
    const days = s.by_day;
    this.draw("days", "bar", days.map((d) => d.date), [
      ["Incidents", days.map((d) => d.incidents)], ["Responder alerted", days.map((d) => d.alerted)],
      ["Responder accepted", days.map((d) => d.accepted)]], "Incidents");
    const times = [s.time_to_first_accept_s, s.time_to_arrive_s];
    this.draw("times", "bar", ["First accept", "First on scene"], [
      ["Typical (median)", times.map((t) => t.p50)], ["9 in 10 within", times.map((t) => t.p90)]], "Seconds");
    const reasons = Object.keys(REASONS);
    this.draw("declines", "bar", reasons.map((r) => REASONS[r]),
      [["Declines", reasons.map((r) => s.declines_by_reason[r] ?? 0)]], "Declines");
    const weeks = Object.keys(s.credential_expiries.by_week);
    this.draw("expiries", "bar", weeks.map((w) => `Week of ${w}`),
      [["Certificates expiring", weeks.map((w) => s.credential_expiries.by_week[w])]], "Certificates");
    $("#stats-expiries-empty").hidden = weeks.length > 0;
  }

  /** One chart and the table of its numbers; the chart is redrawn from scratch on every refresh. */
  draw(name, type, labels, series, axis) {
    this.charts[name]?.destroy();
    const canvas = $(`#stats-${name}-chart`);
    this.charts[name] = new window.Chart(canvas, {
      type,
      data: { labels, datasets: series.map(([label, data], i) => ({ label, data, backgroundColor: COLOURS[i % COLOURS.length] })) },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: axis }, ticks: { precision: 0 } } },
        plugins: { legend: { display: series.length > 1 } },
      },
    });
    $(`#stats-${name}-table`).replaceChildren(
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), ...series.map(([label]) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, labels.length ? labels.map((label, i) => h("tr", {}, h("th", { scope: "row" }, label),
        ...series.map(([, data]) => h("td", {}, data[i] === null ? "—" : String(data[i])))))
        : h("tr", {}, h("td", { colspan: series.length + 1 }, "Nothing in this period."))));
  }

  async download() {
    const params = this.query();
    if (!params) return;
    try {
      const response = await this.api("GET", `${this.base}/stats?${params}`, undefined, { raw: true, accept: "text/csv" });
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: `numbers-${$("#stats-from").value}-to-${$("#stats-to").value}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      $("#stats-error").textContent = `The download failed: ${err.message}`;
    }
  }
}
