import type { KindDefinition } from './kind.js';
import { asCaseValue } from './value-facets.js';
// Per-function entry points: the package index would load all of date-fns (about 300 modules) at start-up.
import { isValid } from 'date-fns/isValid';
import { parseISO } from 'date-fns/parseISO';
import { byType, comparedBy, nameLabel, NO_SPEC, TEXT_METHODS } from './define-helpers.js';
import { describeValue } from './integer.js';
import { bad, ok, quote, stripOneNewline, type Outcome, type TextForm } from './value.js';

/**
 * A date-time read from a tree: a real `Date`, plus the text it was read from (which keeps what a
 * Date cannot: the original offset, precision beyond milliseconds).
 */
export class IsoDateTime extends Date {
  /** The ISO-8601 text as it was in the file. */
  readonly text: string;
  constructor(ms: number, text: string) {
    super(ms);
    this.text = text;
  }
}

/** ISO-8601 extended date and time; the offset is optional (none means UTC). */
const ISO_DATE_TIME =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?$/;

/** Parses ISO-8601 date-time text, or explains why not. */
export function parseDateTime(t: string): Outcome<IsoDateTime> {
  const m = ISO_DATE_TIME.exec(t);
  const expected = 'an ISO-8601 date and time such as 2017-05-27T03:40:40Z';
  if (!m) return bad('BERTH_E_VALUE_TEXT', `${quote(t)} is not an ISO-8601 date-time`, expected);
  const offset = /^[+-]([0-9]{2}):?([0-9]{2})?$/.exec(m[8] ?? '');
  if (offset && (Number(offset[1]) > 23 || Number(offset[2] ?? 0) > 59)) {
    return bad('BERTH_E_VALUE_TEXT', `${quote(t)} has an impossible time zone offset`, expected);
  }
  // Without an offset, read as UTC (never the machine's local zone, which differs between hosts).
  const normalised = t.replace(/^(.{10})[t ]/, '$1T').replace(/z$/, 'Z') + (m[8] ? '' : 'Z');
  const d = parseISO(normalised);
  if (!isValid(d)) return bad('BERTH_E_VALUE_TEXT', `${quote(t)} is not a real date and time`, expected);
  return ok(new IsoDateTime(d.getTime(), t));
}

/** Formats a Date as ISO-8601 in UTC with a `Z`, milliseconds only when not zero. */
export function formatDateTime(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

const dateTimeText: TextForm<IsoDateTime> = {
  expected: 'an ISO-8601 date and time such as 2017-05-27T03:40:40Z',
  parse: (text) => parseDateTime(stripOneNewline(text)),
  format(value) {
    if (value instanceof Date) {
      if (!isValid(value)) return bad('BERTH_E_VALUE_TYPE', 'The Date is invalid');
      const year = value.getUTCFullYear();
      // Beyond 0000–9999 ISO-8601 needs expanded years, which Python's fromisoformat cannot read.
      if (year < 0 || year > 9999) {
        return bad(
          'BERTH_E_VALUE_TYPE',
          `The year ${year} is outside 0000–9999`,
          'a date in the years 0000–9999',
        );
      }
      return ok(formatDateTime(value));
    }
    if (typeof value === 'string') {
      const parsed = parseDateTime(value);
      if (!parsed.ok) return parsed;
      if (!/(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$/.test(value)) {
        return bad(
          'BERTH_E_VALUE_TEXT',
          `${quote(value)} has no time zone`,
          'a date-time ending in Z or ±hh:mm',
        );
      }
      return ok(value);
    }
    return bad(
      'BERTH_E_VALUE_TYPE',
      `A date-time property takes a Date or ISO-8601 text, not ${describeValue(value)}`,
    );
  },
};

/** `type: date-time` — one ISO-8601 date-time in one file. */
export const dateTimeKind: KindDefinition<'date-time', null> = byType<'date-time', null>('date-time', {
  keywords: {},
  define: () => ({ spec: NO_SPEC }),
  label: nameLabel,
  shape: 'file',
  storage: { form: 'text', text: dateTimeText },
  model: () => ({ type: 'date-time' }),
  jsonSchema: (p, ctx) => ({ ...ctx.described(p), type: 'string', format: 'date-time' }),
  comparison: comparedBy('exact', TEXT_METHODS),
  // Read: a Date that keeps its text; written from a Date or ISO-8601 text with a zone.
  typescript: (_p, t) => ({ read: t.berth('IsoDateTime'), write: 'Date | string' }),
  // Whole seconds in 2020–2024, UTC.
  synth: (_p, ctx) => new Date(Date.UTC(2020, 0, 1) + Math.floor(ctx.rand() * 5 * 365 * 86400) * 1000),
  fromCase: asCaseValue,
  wire: {
    // The text as it is in the tree (its offset, its precision); text without a zone means UTC,
    // and says so on the wire, where the date-time writer requires a zone.
    encode: (value) => {
      const text = (value as IsoDateTime).text;
      return ZONE.test(text) ? text : `${text}Z`;
    },
    // Python datetimes in msgpack: Truss packs them as its ISO map, msgpack's `datetime=True` as a
    // timestamp (which msgpackr reads as a Date).
    decode: (value, _p, ctx) =>
      ctx.scalar(ctx.format === 'msgpack' ? (trussDateTime(value) ?? value) : value),
  },
});

/** A time zone at the end of ISO-8601 text (what the date-time writer requires of text). */
const ZONE = /(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$/;

/** Truss' msgpack datetime: `{b"__dt_datetime_iso__": True, b"data": "2024-01-02T03:04:05Z"}`. */
function trussDateTime(v: unknown): string | undefined {
  if (!(v instanceof Map) || v.size !== 2) return undefined;
  let flag: unknown;
  let data: unknown;
  for (const [k, value] of v) {
    const name =
      typeof k === 'string' ? k : k instanceof Uint8Array ? Buffer.from(k).toString('latin1') : undefined;
    if (name === '__dt_datetime_iso__') flag = value;
    else if (name === 'data') data = value;
  }
  return flag === true && typeof data === 'string' ? data : undefined;
}
