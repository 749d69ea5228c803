/**
 * Pinned values of a synthetic tree (`berth synth --set name=value`), checked against the schema
 * before anything is written.
 *
 * `name` is the value's path in the tree, segments separated by `/`, as in a JSON pointer without
 * the leading slash: `threshold`, `findings/0/label` (item 0 of the array `findings`, its member
 * `label`). A `/` or `~` inside a property name is written `~1` or `~0`. Only properties with a
 * text form can be pinned (string, enum, date-time, boolean, integer, number, percentage), and
 * `value` is read as that kind reads its value file: `--set confidence=85%`, `--set flag=True`.
 * Pinning an array item makes the array at least that long (an index at or past `maxItems` is
 * refused); pinning a nullable member writes it even with `--omit-nullable`.
 */
import { BerthError } from '../errors.js';
import type { Property } from '../kinds/property.js';
import { kindOf } from '../kinds/registry.js';
import { textFormOf } from '../kinds/kind.js';

/** A path segment, escaped as in a JSON pointer. */
export function escapeSegment(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeSegment(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function usage(message: string, expected?: string): BerthError {
  return new BerthError('BERTH_E_USAGE', message, expected === undefined ? {} : { expected });
}

/** Values pinned by instance path (escaped segments joined by `/`). */
export class Pins {
  private readonly values = new Map<string, unknown>();

  /** Parses `name=value` assignments against the properties of one side. */
  static parse(props: readonly Property[], assignments: readonly string[]): Pins {
    const pins = new Pins();
    for (const a of assignments) {
      const eq = a.indexOf('=');
      if (eq <= 0)
        throw usage(`--set ${JSON.stringify(a)} is not name=value`, 'name=value, e.g. threshold=0.5');
      const name = a.slice(0, eq);
      const segments = name.split('/').map(unescapeSegment);
      const p = resolve(props, segments, name);
      pins.values.set(segments.map(escapeSegment).join('/'), parseValue(p, a.slice(eq + 1), name));
    }
    return pins;
  }

  /** True when a value is pinned at `at`. */
  has(at: string): boolean {
    return this.values.has(at);
  }
  /** The value pinned at `at`. */
  get(at: string): unknown {
    return this.values.get(at);
  }
  /** True when something at or under `at` is pinned. */
  touches(at: string): boolean {
    for (const key of this.values.keys()) if (key === at || key.startsWith(`${at}/`)) return true;
    return false;
  }
  /** The item count the pins under array `at` need (0 when none). */
  itemsNeeded(at: string): number {
    let n = 0;
    for (const key of this.values.keys()) {
      if (!key.startsWith(`${at}/`)) continue;
      n = Math.max(n, Number(key.slice(at.length + 1).split('/')[0]) + 1);
    }
    return n;
  }
}

function resolve(props: readonly Property[], segments: readonly string[], name: string): Property {
  let members: readonly Property[] = props;
  let current: Property | undefined;
  for (const [i, seg] of segments.entries()) {
    if (current?.items) {
      const max = current.keywords.maxItems;
      if (!/^(0|[1-9][0-9]{0,5})$/.test(seg) || (max !== undefined && Number(seg) >= max)) {
        throw usage(
          `--set ${name}: ${JSON.stringify(seg)} is not an item index of ${current.name}`,
          `an index from 0${max === undefined ? '' : ` to ${max - 1}`}`,
        );
      }
      current = current.items;
      members = current.properties ?? [];
      continue;
    }
    if (current && !current.properties) {
      throw usage(`--set ${name}: ${current.name} has no members (at ${segments.slice(0, i).join('/')})`);
    }
    const next = members.find((m) => m.name === seg);
    if (!next) {
      throw usage(
        `--set ${name}: the schema has no property ${JSON.stringify(seg)}${i > 0 ? ` in ${segments.slice(0, i).join('/')}` : ''}`,
        `one of ${members.map((m) => m.name).join(', ') || '(none)'}`,
      );
    }
    current = next;
    members = next.properties ?? [];
  }
  return current!;
}

function parseValue(p: Property, text: string, name: string): unknown {
  const form = textFormOf(kindOf(p.kind));
  if (!form) {
    throw usage(
      `--set ${name}: ${p.name} is a ${kindOf(p.kind).label(p)}, which has no text form to pin`,
      'a property with a text form (string, enum, date-time, boolean, integer, number, percentage)',
    );
  }
  const parsed = form.parse(text, p);
  if (!parsed.ok) {
    const { code, message, expected } = parsed.problem;
    throw new BerthError(code, `--set ${name}: ${message}`, {
      property: p.path,
      expected: expected ?? form.expected,
    });
  }
  return parsed.value;
}
