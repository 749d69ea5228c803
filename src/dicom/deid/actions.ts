/**
 * Which action the profile takes on an element: Table E.1-1 (generated table.ts) with its pattern
 * rows, the options chosen, the keep list, and the compound codes resolved.
 *
 * Compound codes (X/Z, X/D, X/Z/D, Z/D, X/Z/U*) choose by the attribute's Type in the IOD. berth has
 * no IOD Type table, so it resolves them without one, never keeping the value: a plain element gets
 * the letter that is valid under every Type — D (a dummy) if offered, else Z (empty) — so outputs
 * stay valid whatever the IOD; a sequence under X/D or X/Z/D is removed (X: no dummy item can be
 * made), under X/Z emptied (Z), and under X/Z/U* kept with every UID in it remapped and everything
 * else in its items put through the profile (U).
 */
import { PROFILE_ROWS } from './table.js';

/** What happens to an element. `shift` moves dates; `clean` keeps text free of identifying values. */
export type Action = 'X' | 'Z' | 'D' | 'K' | 'U' | 'shift' | 'clean';

/** The options of PS3.15 E.3 berth implements, and the keep list. */
export interface ProfileOptions {
  /** Retain Longitudinal Temporal Information with Modified Dates (default true, as the Liaison). */
  retainModifiedDates?: boolean;
  /** Retain Patient Characteristics (default false). */
  retainPatientCharacteristics?: boolean;
  /** Retain Device Identity (default false). */
  retainDeviceIdentity?: boolean;
  /** Clean Descriptors (default false): descriptors kept when they hold no identifying value. */
  cleanDescriptors?: boolean;
  /**
   * Clean Structured Content (default false): SR content, acquisition context and specimen
   * preparation items kept and cleaned (see walk.ts) instead of dummied or removed.
   */
  cleanStructuredContent?: boolean;
  /** Clean Graphics (default false): graphic annotations kept and cleaned (see walk.ts) instead of dummied. */
  cleanGraphics?: boolean;
  /** Tags kept as they are wherever they occur (the manifest's dicom-tags). */
  keep?: readonly number[];
}

/** One resolved table row. */
export interface ProfileRow {
  readonly tag: number;
  readonly keyword: string;
  readonly vr: string;
  readonly basic: string;
  readonly options: Readonly<Record<string, string>>;
  readonly retired: boolean;
}

export const ROWS: ReadonlyMap<number, ProfileRow> = new Map(
  PROFILE_ROWS.map(([tag, keyword, vr, basic, opts, retired]) => [
    tag,
    {
      tag,
      keyword,
      vr,
      basic,
      retired: retired ?? false,
      options: Object.fromEntries(
        opts
          .split(' ')
          .filter(Boolean)
          .map((o) => o.split('=') as [string, string]),
      ),
    },
  ]),
);

/** The row of a tag, if Table E.1-1 lists it. */
export function profileRow(tag: number): ProfileRow | undefined {
  return ROWS.get(tag);
}

/** The basic profile letter of a row, compound codes resolved (see the module comment). */
export function resolveBasic(code: string, isSequence: boolean): 'X' | 'Z' | 'D' | 'K' | 'U' {
  switch (code) {
    case 'X':
    case 'Z':
    case 'D':
    case 'K':
    case 'U':
      return code;
    case 'C':
      return 'X'; // no row has a plain C in the basic column; should one appear, remove
    case 'Z/D':
      return isSequence ? 'Z' : 'D';
    case 'X/Z':
      return 'Z';
    case 'X/D':
    case 'X/Z/D':
      return isSequence ? 'X' : 'D';
    case 'X/Z/U*':
      return 'U';
    default:
      return 'X'; // an unknown code: the safest
  }
}

/** Table columns of the options, by option. */
const OPTION_COLUMN: readonly [keyof ProfileOptions, string][] = [
  ['retainModifiedDates', 'modifiedDates'],
  ['retainPatientCharacteristics', 'patient'],
  ['retainDeviceIdentity', 'device'],
  ['cleanDescriptors', 'descriptors'],
  ['cleanStructuredContent', 'structuredContent'],
  ['cleanGraphics', 'graphics'],
];

/** Why an action was chosen, for the record. */
export interface Decision {
  action: Action;
  /** `basic`, `keep list`, an option name, `private`, `curve`, `overlay`, `group length`. */
  reason: string;
}

/** Whether an option is on, with the defaults. */
export function optionOn(o: ProfileOptions, name: keyof ProfileOptions): boolean {
  if (name === 'retainModifiedDates') return o.retainModifiedDates ?? true;
  return Boolean(o[name]);
}

/**
 * The action on an element. Private elements are removed here; the walk, which knows the creators,
 * keeps the blocks of kept creators. An option's C wins over another option's K (a date both kept for device identity and
 * modified for dates is modified).
 */
export function decide(tag: number, vr: string, o: ProfileOptions, keep: ReadonlySet<number>): Decision {
  if (keep.has(tag)) return { action: 'K', reason: 'keep list' };
  const group = tag >>> 16;
  if ((tag & 0xffff) === 0) return { action: 'X', reason: 'group length' };
  if (group & 1) return { action: 'X', reason: 'private' }; // kept blocks are decided by the walk
  if ((group & 0xff00) === 0x5000) return { action: 'X', reason: 'curve' };
  if ((group & 0xff00) === 0x6000) return { action: 'X', reason: 'overlay' };
  const row = ROWS.get(tag);
  if (!row) return { action: vr === 'UI' ? 'U' : 'K', reason: 'not in the profile' };
  let kept: string | undefined;
  for (const [option, column] of OPTION_COLUMN) {
    const code = row.options[column];
    if (!code || !optionOn(o, option)) continue;
    if (code === 'C') {
      return { action: column === 'modifiedDates' ? 'shift' : 'clean', reason: option };
    }
    if (code === 'K') kept = option;
  }
  if (kept) return { action: 'K', reason: kept };
  return { action: resolveBasic(row.basic, vr === 'SQ'), reason: 'basic' };
}
