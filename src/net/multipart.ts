/**
 * A small streaming splitter of multipart bodies (RFC 2046 §5.1, as multipart/related uses it):
 * bytes go in chunk by chunk, events come out — a part's headers, slices of its body, its end —
 * and nothing but a part's header block and a delimiter's worth of bytes is ever held. Written
 * for STOW-RS instead of dicer, whose malformed-header crash (CVE-2022-24434) is unfixed; every
 * malformation is a `BERTH_E_LISTEN_STOW_MULTIPART` error, never an exception of another kind.
 */
import { BerthError } from '../errors.js';

/** What the splitter reports. Body slices are views of the input: copy them to keep them. */
export type MultipartEvent =
  | { readonly type: 'part'; readonly headers: ReadonlyMap<string, string> }
  | { readonly type: 'data'; readonly bytes: Buffer }
  | { readonly type: 'end-part' };

/** Largest header block of one part. */
export const MAX_PART_HEADER_BYTES = 16 * 1024;
/** Largest preamble (bytes before the first delimiter) or epilogue skipped. */
const MAX_SKIP_BYTES = 64 * 1024;

type State = 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'epilogue';

function malformed(detail: string): BerthError {
  return new BerthError('BERTH_E_LISTEN_STOW_MULTIPART', detail, {
    expected:
      'a multipart/related body: parts between --boundary lines, each with headers, a blank line and bytes, closed by --boundary--',
  });
}

/** The boundary parameter's rules (RFC 2046: 1–70 characters of a restricted set, not ending in a space). */
export function isValidBoundary(boundary: string): boolean {
  return /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary);
}

export class MultipartSplitter {
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  /** Unconsumed input. Starts with CRLF so the first delimiter looks like every other one. */
  private pending: Buffer = Buffer.from('\r\n');
  private skipped = 0;
  private parts = 0;

  constructor(boundary: string) {
    if (!isValidBoundary(boundary)) throw malformed(`The boundary ${JSON.stringify(boundary)} is not valid`);
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** The number of parts started so far. */
  get partCount(): number {
    return this.parts;
  }

  /** Feeds the next chunk; returns what it completes. */
  push(chunk: Buffer): MultipartEvent[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: MultipartEvent[] = [];
    while (this.step(out));
    return out;
  }

  /** The input ended: throws unless the closing delimiter was seen. */
  end(): void {
    if (this.state !== 'epilogue') {
      throw malformed(
        this.parts === 0 ? 'The body has no part' : 'The body ends before its closing --boundary--',
      );
    }
  }

  /** One step of the state machine; false when it needs more input. */
  private step(out: MultipartEvent[]): boolean {
    switch (this.state) {
      case 'preamble':
        return this.skipToDelimiter();
      case 'after-delimiter':
        return this.afterDelimiter();
      case 'headers':
        return this.headers(out);
      case 'body':
        return this.body(out);
      case 'epilogue':
        this.skipped += this.pending.length;
        this.pending = Buffer.alloc(0);
        if (this.skipped > MAX_SKIP_BYTES) throw malformed('The epilogue after --boundary-- is too long');
        return false;
      default: {
        const never: never = this.state;
        throw new Error(`unknown state ${String(never)}`);
      }
    }
  }

  private skipToDelimiter(): boolean {
    const at = this.pending.indexOf(this.delimiter);
    if (at < 0) {
      const keep = Math.min(this.pending.length, this.delimiter.length - 1);
      this.skipped += this.pending.length - keep;
      this.pending = this.pending.subarray(this.pending.length - keep);
      if (this.skipped > MAX_SKIP_BYTES) throw malformed('No --boundary line in the first 64 KiB');
      return false;
    }
    this.skipped += at;
    this.pending = this.pending.subarray(at + this.delimiter.length);
    this.state = 'after-delimiter';
    return true;
  }

  /** After `--boundary`: `--` closes the body; otherwise optional spaces or tabs, then CRLF. */
  private afterDelimiter(): boolean {
    const p = this.pending;
    let i = 0;
    if (p.length >= 2 && p[0] === 0x2d && p[1] === 0x2d) {
      this.pending = p.subarray(2);
      this.state = 'epilogue';
      this.skipped = 0;
      return true;
    }
    while (i < p.length && (p[i] === 0x20 || p[i] === 0x09)) i++;
    if (i > 256) throw malformed('Too much padding after a --boundary line');
    if (p.length < i + 2) return false;
    if (p[i] !== 0x0d || p[i + 1] !== 0x0a) throw malformed('A --boundary line is not followed by CRLF');
    this.pending = p.subarray(i + 2);
    this.state = 'headers';
    return true;
  }

  private headers(out: MultipartEvent[]): boolean {
    const p = this.pending;
    // A part may have no headers at all: the blank line comes at once.
    const empty = p.length >= 2 && p[0] === 0x0d && p[1] === 0x0a;
    const at = empty ? 0 : p.indexOf('\r\n\r\n', 0, 'latin1');
    if (at < 0) {
      if (p.length > MAX_PART_HEADER_BYTES)
        throw malformed(`A part's headers exceed ${MAX_PART_HEADER_BYTES} bytes`);
      return false;
    }
    if (at > MAX_PART_HEADER_BYTES) throw malformed(`A part's headers exceed ${MAX_PART_HEADER_BYTES} bytes`);
    const headers = parseHeaders(p.subarray(0, at).toString('latin1'));
    this.pending = p.subarray(empty ? 2 : at + 4);
    this.parts += 1;
    out.push({ type: 'part', headers });
    this.state = 'body';
    return true;
  }

  private body(out: MultipartEvent[]): boolean {
    const p = this.pending;
    const at = p.indexOf(this.delimiter);
    if (at < 0) {
      // Everything but a possible start of the delimiter is body.
      const safe = p.length - (this.delimiter.length - 1);
      if (safe > 0) {
        out.push({ type: 'data', bytes: p.subarray(0, safe) });
        this.pending = p.subarray(safe);
      }
      return false;
    }
    if (at > 0) out.push({ type: 'data', bytes: p.subarray(0, at) });
    out.push({ type: 'end-part' });
    this.pending = p.subarray(at + this.delimiter.length);
    this.state = 'after-delimiter';
    return true;
  }
}

/** `Name: value` lines (names lower-cased; folded lines refused; a repeated name keeps the first). */
function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  if (block.length === 0) return headers;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /^[ \t]/.test(line))
      throw malformed(`A part header line is malformed: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name))
      throw malformed(`A part header name is malformed: ${JSON.stringify(name.slice(0, 80))}`);
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

/** A media type and its parameters (names lower-cased, quoted values unquoted). */
export interface MediaType {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
}

/** Parses a Content-Type value; undefined when it is not `type/subtype *( ; name=value )`. */
export function parseMediaType(value: string | undefined): MediaType | undefined {
  if (value === undefined || value.length > 1024) return undefined;
  const m = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*/.exec(value);
  if (!m) return undefined;
  const params = new Map<string, string>();
  const param =
    /;\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)=(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+\-.^_`|~0-9A-Za-z]+))\s*/y;
  param.lastIndex = m[0].length;
  while (param.lastIndex < value.length) {
    const p = param.exec(value);
    if (!p) return undefined;
    const name = (p[1] as string).toLowerCase();
    if (!params.has(name))
      params.set(name, p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] as string));
  }
  return { type: (m[1] as string).toLowerCase(), params };
}
