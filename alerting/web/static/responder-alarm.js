// What wakes a responder and keeps them going: a repeating two-tone alarm with vibration and a
// flashing tab title (bounded, so a phone left in a drawer stops after a minute), the stand-down
// chime, the CPR metronome and the screen wake lock. Sound is Web Audio: no files to fetch.
const ALARM_LIMIT_MS = 60_000;
const ALARM_EVERY_MS = 2_000;
const CPR_PER_MIN = 110;

let audio = null;

/** Browsers start audio only after a tap: every tap on the page calls this, so a later alert can sound. */
export function unlockAudio() {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  } catch { /* no Web Audio: the card and vibration still show */ }
}

function tone(frequency, at, length, volume = 0.6) {
  try {
    unlockAudio();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "square";
    osc.frequency.value = frequency;
    gain.gain.value = volume;
    osc.connect(gain).connect(audio.destination);
    const start = audio.currentTime + at;
    osc.start(start);
    osc.stop(start + length);
  } catch { /* sound is a bonus */ }
}

function vibrate(pattern) {
  try { navigator.vibrate?.(pattern); } catch { /* not a phone */ }
}

/** Rings for the alerts in `ringing` until each is answered, acknowledged by a tap, or a minute passes. */
export class Alarm {
  constructor() {
    this.ringing = new Set();
    this.timer = null;
    this.flasher = null;
    this.until = 0;
    this.title = document.title;
  }

  start(id, flashText) {
    this.ringing.add(id);
    this.until = Date.now() + ALARM_LIMIT_MS;
    this.flashText = flashText;
    if (this.timer) return;
    this.title = document.title;
    const ring = () => {
      if (!this.ringing.size || Date.now() > this.until) { this.stopAll(); return; }
      for (let i = 0; i < 4; i += 1) tone(i % 2 ? 660 : 880, i * 0.3, 0.25);
      vibrate([600, 200, 600]);
    };
    ring();
    this.timer = setInterval(ring, ALARM_EVERY_MS);
    let on = false;
    this.flasher = setInterval(() => {
      on = !on;
      document.title = on ? this.flashText : this.title;
    }, 1000);
    document.title = this.flashText;
  }

  stop(id) {
    this.ringing.delete(id);
    if (!this.ringing.size) this.stopAll();
  }

  stopAll() {
    this.ringing.clear();
    clearInterval(this.timer);
    clearInterval(this.flasher);
    this.timer = this.flasher = null;
    document.title = this.title;
    vibrate(0);
  }
}

/** Two falling tones and a short buzz: "you can stand down". */
export function standDownChime() {
  tone(784, 0, 0.35, 0.4);
  tone(523, 0.4, 0.6, 0.4);
  vibrate([300, 150, 300]);
}

/** A click on every compression, with the same beat for the eyes. */
export class Metronome {
  constructor(onBeat) {
    this.onBeat = onBeat;
    this.timer = null;
  }

  get running() { return this.timer !== null; }

  start() {
    if (this.timer) return;
    const beat = () => { tone(1000, 0, 0.05, 0.8); this.onBeat?.(); };
    beat();
    this.timer = setInterval(beat, 60_000 / CPR_PER_MIN);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}

/** Keeps the screen on while on duty; the browser drops the lock when the page is hidden, so it is taken again. */
export class ScreenLock {
  constructor(onChange) {
    this.wanted = false;
    this.lock = null;
    this.onChange = onChange;
    document.addEventListener("visibilitychange", () => { if (this.wanted && document.visibilityState === "visible") this.take(); });
  }

  get supported() { return "wakeLock" in navigator; }

  async set(wanted) {
    this.wanted = wanted;
    if (wanted) await this.take();
    else { await this.lock?.release().catch(() => {}); this.lock = null; this.onChange?.(false); }
  }

  async take() {
    if (!this.supported || this.lock || document.visibilityState !== "visible") return;
    try {
      this.lock = await navigator.wakeLock.request("screen");
      this.onChange?.(true);
      this.lock.addEventListener("release", () => { this.lock = null; this.onChange?.(false); });
    } catch { this.onChange?.(false); /* refused (battery saver): the page still works */ }
  }
}
