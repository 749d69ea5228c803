/**
 * The PDV fragments of one message part (a command set, or a data set berth hands on whole), held
 * until the part is complete — within a bound, so a peer that never ends one cannot fill memory.
 */
/** Fragments held until their message part is whole, at most `max` bytes of them. */
export class Fragments {
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(
    readonly max: number,
    readonly what: string,
  ) {}

  /** Adds `b`; false (and nothing held) once the bound is passed. */
  add(b: Buffer): boolean {
    this.bytes += b.length;
    if (this.bytes > this.max) {
      this.parts = [];
      this.bytes = 0;
      return false;
    }
    // A copy: `b` may be a view of the socket's read buffer, refilled by the next read.
    this.parts.push(Buffer.from(b));
    return true;
  }

  /** What is held, as one buffer, and holds nothing more. */
  take(): Buffer {
    const whole = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return whole;
  }
}
