// Messages of a type this page does not know (a daemon newer than the page, or a bug on either
// side) are not dropped in silence: each type is written to the console, and the page tells
// the daemon ({"type": "unknown_message", "message_type": ..., "count": ...}, at most once a
// second per type), which counts them per type in /api/status (player.unknown_messages).

const REPORT_EVERY_MS = 1000;
const MAX_TYPE_CHARS = 64; // the daemon's limit on a reported type
const MAX_COUNT = 10000; // the daemon's limit on one report's count

export class UnknownMessages {
  /** send(message): sends to the daemon now; false when the socket is down. */
  constructor(send) {
    this.send = send;
    this.pending = new Map(); // type -> messages not yet reported
    this.timer = null;
  }

  /** A message of a type nobody on the page handles. */
  note(message) {
    const type = typeName(message.type);
    if (!this.pending.has(type)) {
      console.warn(`player: a message of unknown type ${JSON.stringify(type)}; ignored`, message);
    }
    this.pending.set(type, (this.pending.get(type) ?? 0) + 1);
    this.timer ??= setTimeout(() => this.report(), REPORT_EVERY_MS);
  }

  report() {
    this.timer = null;
    for (const [type, count] of this.pending) {
      const sent = this.send({ type: "unknown_message", message_type: type, count: Math.min(count, MAX_COUNT) });
      if (!sent) break; // the socket is down: reported once it is back
      this.pending.delete(type);
    }
    if (this.pending.size) this.timer = setTimeout(() => this.report(), REPORT_EVERY_MS);
  }
}

function typeName(type) {
  if (typeof type !== "string") return type === undefined ? "(no type)" : "(not a string)";
  return type === "" ? "(empty)" : type.slice(0, MAX_TYPE_CHARS);
}
