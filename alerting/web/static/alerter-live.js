// The alerter's socket: signed in by its first message (the token never rides in a URL), it hears
// how help is coming (`help`), the thread with the responders (`message`) and the stand-down
// (`stand_down`); it reconnects by itself, and the server sends `help` again on every connect.
const HEARTBEAT_MS = 15_000;

export class AlerterLive {
  // `incidentId`: the alert this page follows, so a socket that connects just after it ended
  // (cancelled, or closed unconfirmed) still hears how it ended.
  constructor(token, { incidentId, onFrame, onRevoked, onState } = {}) {
    this.token = token;
    this.incidentId = incidentId || null;
    this.onFrame = onFrame || (() => {});
    this.onRevoked = onRevoked || (() => {});
    this.onState = onState || (() => {});
    this.ws = null;
    this.retry = 1000;
    this.stopped = true;
    this.connected = false;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.pinger);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "done");
    this.setConnected(false);
  }

  setConnected(on) {
    if (this.connected === on) return;
    this.connected = on;
    this.onState(on);
  }

  connect() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const follows = this.incidentId ? `?incident=${encodeURIComponent(this.incidentId)}` : "";
    const ws = new WebSocket(`${scheme}//${location.host}/v1/alerters/ws${follows}`);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: this.token }));
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      this.retry = 1000;
      this.setConnected(true);
      if (frame.type !== "pong") this.onFrame(frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      clearInterval(this.pinger);
      this.setConnected(false);
      if (this.stopped) return;
      if ([4401, 4403, 4410].includes(event.code)) { this.stopped = true; this.onRevoked(event.code); return; }
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 30000);
    };
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.send({ type: "ping" }), HEARTBEAT_MS);
  }

  /** True when it went on the socket; false when the socket is not open (the caller then uses HTTP). */
  send(message) {
    if (this.ws?.readyState === WebSocket.OPEN && this.connected) { this.ws.send(JSON.stringify(message)); return true; }
    return false;
  }
}
