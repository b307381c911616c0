// Where things are: distances as the responder moves, links that open the phone's own maps app,
// and times as a responder reads them (a countdown, not a clock time).

/** Great-circle distance in metres. */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.min(1, Math.sqrt(s)));
}

export function metres(m) {
  if (m === null || m === undefined || Number.isNaN(m)) return "";
  if (m >= 1000) return `${(m / 1000).toFixed(1)} km`;
  return `${Math.round(m / 10) * 10 || Math.round(m)} m`;
}

/** "android", "ios" or "other", from the user agent (iPadOS reports a Mac with a touch screen). */
export function platform(ua = navigator.userAgent, touch = navigator.maxTouchPoints || 0) {
  if (/Android/i.test(ua)) return "android";
  if (/iPhone|iPad|iPod/i.test(ua) || (/Macintosh/.test(ua) && touch > 1)) return "ios";
  return "other";
}

const APPLE_FLAG = { foot: "w", bike: "d", car: "d" };
const GOOGLE_MODE = { foot: "walking", bike: "bicycling", car: "driving" };

/** Directions to a point in the phone's maps app: a geo: URI on Android, Apple Maps on iOS, Google elsewhere. */
export function navigateUrl(lat, lon, label, travelMode = "foot", where = platform()) {
  const at = `${lat.toFixed(6)},${lon.toFixed(6)}`;
  if (where === "android") return `geo:${at}?q=${at}(${encodeURIComponent(label)})`;
  if (where === "ios") return `https://maps.apple.com/?daddr=${at}&dirflg=${APPLE_FLAG[travelMode] || "w"}`;
  return `https://www.google.com/maps/dir/?api=1&destination=${at}&travelmode=${GOOGLE_MODE[travelMode] || "walking"}`;
}

/** 45 → "0:45", 125 → "2:05". */
export function countdown(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function clockTime(ms, lang) {
  return new Date(ms).toLocaleTimeString(lang === "cy" ? "cy-GB" : "en-GB", { hour: "2-digit", minute: "2-digit" });
}

export function dateTime(iso, lang) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang === "cy" ? "cy-GB" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}
