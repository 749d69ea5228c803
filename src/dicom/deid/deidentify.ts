/**
 * berth's de-identifier: PS3.15 Annex E basic profile with the options of actions.ts, on berth's own
 * element reader and writer. One {@link Deidentifier} per site secret: it remaps UIDs and shifts
 * dates consistently across every instance it sees, and accumulates the map and the identifying
 * values (for re-identification and the leak check).
 */
import { createHmac } from 'node:crypto';
import { BerthError } from '../../errors.js';
import type { Vr } from '../dictionary.js';
import { encodeValue } from '../write.js';
import { BERTH_IMPLEMENTATION_CLASS_UID, BERTH_IMPLEMENTATION_VERSION } from '../uid.js';
import { decide, optionOn, type ProfileOptions } from './actions.js';
import { refuseBurnedIn } from './burned-in.js';
import { MAP_FORMAT, toJson, type DeidMap } from './map.js';
import { needlesOf, type Needle, type PhiValue } from './phi.js';
import { dateShiftDays, isStandardUid, pseudonymousUid } from './pseudonyms.js';
import { PATIENT_STUDY_TAGS } from './restore.js';
import { PROFILE_EDITION } from './table.js';
import { encodeFileChunks } from './encode-tree.js';
import { isSequence, parseFile, type DataSetNode, type ElementNode, type ValueNode } from './tree.js';
import {
  attributeName,
  creatorsOf,
  privateKept,
  text,
  walkItem,
  type RecordEntry,
  type WalkContext,
} from './walk.js';

/** Options of a {@link Deidentifier}. */
export interface DeidOptions extends ProfileOptions {
  /** The site secret (at least 16 bytes): keys UID pseudonyms and date offsets. */
  secret: Buffer | string;
  /** Private creators whose blocks are kept (default none: every private element is removed). */
  keepPrivateCreators?: readonly string[];
  /** De-identify instances that may have burned-in identity (default false: BERTH_E_PHI_BURNED_IN). */
  allowBurnedIn?: boolean;
  /** A fixed date shift in days for every patient instead of the keyed one. */
  dateShiftDays?: number;
}

/** One de-identified instance. */
export interface DeidResult {
  /** The file written out (joined from `chunks` when first asked for). */
  readonly bytes: Buffer;
  /** The file as chunks for one writev: pixel data stays a slice of the input, never copied. */
  readonly chunks: readonly Buffer[];
  readonly record: readonly RecordEntry[];
  readonly sopInstanceUid: string | undefined;
  readonly studyInstanceUid: string | undefined;
  readonly dateShiftDays: number;
}

export const MIN_SECRET_BYTES = 16;
/** Largest fixed date shift accepted (about 100 years). */
export const MAX_FIXED_SHIFT_DAYS = 36525;

const MARKER_NAMES: Readonly<Record<number, string>> = {
  0x00120062: 'PatientIdentityRemoved',
  0x00120063: 'DeidentificationMethod',
  0x00120064: 'DeidentificationMethodCodeSequence',
  0x00280303: 'LongitudinalTemporalInformationModified',
};

/** The CID 7050 codes of the options used. */
export function methodCodes(o: ProfileOptions): [string, string][] {
  const codes: [string, string][] = [['113100', 'Basic Application Confidentiality Profile']];
  if (optionOn(o, 'cleanGraphics')) codes.push(['113103', 'Clean Graphics Option']);
  if (optionOn(o, 'cleanStructuredContent')) codes.push(['113104', 'Clean Structured Content Option']);
  if (optionOn(o, 'cleanDescriptors')) codes.push(['113105', 'Clean Descriptors Option']);
  if (optionOn(o, 'retainModifiedDates')) {
    codes.push(['113107', 'Retain Longitudinal Temporal Information Modified Dates Option']);
  }
  if (optionOn(o, 'retainPatientCharacteristics'))
    codes.push(['113108', 'Retain Patient Characteristics Option']);
  if (optionOn(o, 'retainDeviceIdentity')) codes.push(['113109', 'Retain Device Identity Option']);
  return codes;
}

function valueNode(tag: number, vr: Vr, value: string): ValueNode {
  return { tag, vr, bytes: encodeValue(tag, vr, value, true) };
}

function topText(nodes: DataSetNode, tag: number): string | undefined {
  const n = nodes.find((e) => e.tag === tag);
  return n && !isSequence(n) ? text(n).trim() : undefined;
}

export class Deidentifier {
  private readonly secret: Buffer;
  private readonly keep: Set<number>;
  /** pseudonymous → original */
  private readonly uids = new Map<string, string>();
  /** original → pseudonymous */
  private readonly pseudonyms = new Map<string, string>();
  private readonly studies: DeidMap['studies'] = {};
  private readonly values: PhiValue[] = [];
  /** Dates written as shifted values: not searched as originals (ambiguous). */
  readonly shiftedDates = new Set<string>();

  constructor(private readonly options: DeidOptions) {
    this.secret = Buffer.isBuffer(options.secret) ? options.secret : Buffer.from(options.secret, 'utf8');
    if (this.secret.length < MIN_SECRET_BYTES) {
      throw new BerthError(
        'BERTH_E_DEID_MAP',
        `The de-identification secret is ${this.secret.length} bytes`,
        {
          expected: `a secret of at least ${MIN_SECRET_BYTES} bytes`,
        },
      );
    }
    const days = options.dateShiftDays;
    if (days !== undefined && (!Number.isInteger(days) || Math.abs(days) > MAX_FIXED_SHIFT_DAYS)) {
      throw new BerthError('BERTH_E_USAGE', `dateShiftDays ${days} is not a whole number of days`, {
        expected: `an integer between -${MAX_FIXED_SHIFT_DAYS} and ${MAX_FIXED_SHIFT_DAYS}`,
      });
    }
    this.keep = new Set(options.keep ?? []);
  }

  /** DeidentificationMethod (LO, at most 64 characters). */
  method(): string {
    return `berth PS3.15 E ${methodCodes(this.options)
      .map(([c]) => c)
      .join(' ')}`.slice(0, 64);
  }

  /** De-identifies one Part 10 file held in memory (`path` names it in errors and records). */
  deidentify(bytes: Buffer, path: string): DeidResult {
    const file = parseFile(bytes, path);
    const ds = file.dataSet;
    if (!this.options.allowBurnedIn) refuseBurnedIn(path, topText(ds, 0x00080016), topText(ds, 0x00280301));
    const patientId = topText(ds, 0x00100020) ?? '';
    const shiftDays = this.options.dateShiftDays ?? dateShiftDays(this.secret, patientId);
    const fileValues = this.collect(ds, '', path);
    let needles: Needle[] | undefined;
    // Every UID of the file gets its pseudonym before the walk, so text met before the UI value
    // that holds the same UID can quote the pseudonym too.
    for (const v of fileValues) {
      if (v.vr !== 'UI') continue;
      for (const u of v.text.split('\\'))
        if (u.trim() !== '' && !isStandardUid(u.trim())) this.pseudonym(u.trim());
    }
    this.values.push(...fileValues);
    const ctx: WalkContext = {
      options: this.options,
      keep: this.keep,
      keepCreators: new Set(this.options.keepPrivateCreators ?? []),
      pseudonym: (uid) => this.pseudonym(uid),
      knownPseudonym: (uid) => this.pseudonyms.get(uid),
      shiftDays,
      cleanNeedles: () => (needles ??= needlesOf(fileValues.filter((v) => !v.kept && v.vr !== 'UI'))),
      record: [],
      uids: this.uids,
      shiftedDates: this.shiftedDates,
      patientPseudonym: `P${createHmac('sha256', this.secret).update(`patient\u0000${patientId}`).digest('hex').slice(0, 15).toUpperCase()}`,
    };
    const studyUid = topText(ds, 0x0020000d);
    if (studyUid && !(studyUid in this.studies)) {
      this.studies[studyUid] = {
        pseudonymousStudyUid: this.pseudonym(studyUid),
        dateShiftDays: shiftDays,
        elements: toJson(ds.filter((n) => PATIENT_STUDY_TAGS.has(n.tag))),
      };
    }
    const out = walkItem(ds, '', ctx);
    this.addMarkers(out, ctx);
    const sop = topText(out, 0x00080018);
    const meta = this.meta(file.meta, sop);
    const chunks = encodeFileChunks({ ...file, meta, dataSet: out });
    let joined: Buffer | undefined;
    return {
      chunks,
      get bytes(): Buffer {
        return (joined ??= chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      },
      record: ctx.record,
      sopInstanceUid: sop,
      studyInstanceUid: topText(out, 0x0020000d),
      dateShiftDays: shiftDays,
    };
  }

  /** Collects the identifying values of a data set: profile attributes, private text, UIDs. */
  private collect(item: DataSetNode, path: string, source: string): PhiValue[] {
    const out: PhiValue[] = [];
    const creators = creatorsOf(item);
    const keepCreators = new Set(this.options.keepPrivateCreators ?? []);
    for (const n of item) {
      const attribute = path + attributeName(n.tag);
      if (isSequence(n)) {
        n.items.forEach((it, i) => out.push(...this.collect(it, `${attribute}[${i}].`, source)));
        continue;
      }
      const isPrivate = ((n.tag >>> 16) & 1) === 1;
      const action = isPrivate
        ? privateKept(n.tag, creators, keepCreators)
          ? 'K'
          : 'X'
        : decide(n.tag, n.vr, this.options, this.keep).action;
      const inProfile = isPrivate || action !== 'K' || this.keep.has(n.tag) || n.vr === 'UI';
      if (!inProfile || n.bytes.length === 0) continue;
      const vr = isPrivate && n.vr === 'UN' ? 'UN' : n.vr;
      out.push({
        text: text(n),
        vr,
        attribute,
        source,
        kept: action === 'K' || action === 'clean',
      });
    }
    return out;
  }

  private addMarkers(ds: DataSetNode, ctx: WalkContext): void {
    const markers: ElementNode[] = [
      valueNode(0x00120062, 'CS', 'YES'),
      valueNode(0x00120063, 'LO', this.method()),
      {
        tag: 0x00120064,
        vr: 'SQ',
        items: methodCodes(this.options).map(([value, meaning]) => [
          valueNode(0x00080100, 'SH', value),
          valueNode(0x00080102, 'SH', 'DCM'),
          valueNode(0x00080104, 'LO', meaning),
        ]),
      },
      valueNode(0x00280303, 'CS', optionOn(this.options, 'retainModifiedDates') ? 'MODIFIED' : 'REMOVED'),
    ];
    for (const m of markers) {
      const at = ds.findIndex((n) => n.tag === m.tag);
      if (at >= 0) ds.splice(at, 1);
      ds.push(m);
      ctx.record.push({
        attribute: MARKER_NAMES[m.tag]!,
        action: 'added',
        reason: 'de-identification marker',
      });
    }
  }

  /** The new file meta: class and syntax kept, instance UID following the data set, berth as implementation. */
  private meta(meta: DataSetNode, sop: string | undefined): DataSetNode {
    const keep = meta.filter((n) => n.tag === 0x00020001 || n.tag === 0x00020002 || n.tag === 0x00020010);
    if (sop) keep.push(valueNode(0x00020003, 'UI', sop));
    keep.push(valueNode(0x00020012, 'UI', BERTH_IMPLEMENTATION_CLASS_UID));
    keep.push(valueNode(0x00020013, 'SH', BERTH_IMPLEMENTATION_VERSION));
    return keep;
  }

  /** The map of everything de-identified so far (PHI: keep it with the originals). */
  map(): DeidMap {
    return {
      format: MAP_FORMAT,
      profile: { edition: PROFILE_EDITION, method: this.method() },
      uids: Object.fromEntries(this.uids),
      studies: structuredClone(this.studies),
      phi: [...this.values],
      shiftedDates: [...this.shiftedDates].sort(),
    };
  }

  /** The pseudonym given to an original UID, if this de-identifier remapped it. */
  pseudonymOf(uid: string): string | undefined {
    const p = this.pseudonyms.get(uid);
    return p !== undefined && this.uids.has(p) ? p : undefined;
  }

  /** The keyed pseudonym of an original UID, computed once per UID (a study repeats its UIDs in every instance). */
  private pseudonym(uid: string): string {
    let p = this.pseudonyms.get(uid);
    if (p === undefined) {
      p = pseudonymousUid(this.secret, uid);
      this.pseudonyms.set(uid, p);
    }
    return p;
  }

  /** The identifying values of every original seen so far, for the leak check. */
  phi(): readonly PhiValue[] {
    return this.values;
  }
}
