/**
 * Applies the profile to a data set, item by item, at every depth: the action of each element
 * (actions.ts), private blocks, UID remapping, date shifting, dummies, and the record of it all.
 */
import { entryByTag, formatTag, type Vr } from '../dictionary.js';
import { encodeValue } from '../write.js';
import {
  decide,
  optionOn,
  profileRow,
  resolveBasic,
  type Action,
  type Decision,
  type ProfileOptions,
} from './actions.js';
import { findInText, type Needle } from './phi.js';
import { isStandardUid, replaceUidsInText, shiftDate, shiftDateTime, UID_TEXT_VRS } from './pseudonyms.js';
import { isSequence, type DataSetNode, type ElementNode, type ValueNode } from './tree.js';

/** What was done to one element. */
export type RecordAction =
  'removed' | 'emptied' | 'dummy' | 'kept' | 'shifted' | 'remapped' | 'cleaned' | 'added';

export interface RecordEntry {
  readonly attribute: string;
  readonly action: RecordAction;
  /** Why: `basic`, `keep list`, an option, `private`, `curve`, `overlay`, ... */
  readonly reason: string;
}

/** UI elements that hold class, syntax or scheme UIDs, not instance identity: never remapped. */
const CLASS_UID_TAGS = new Set([
  0x00020002, 0x00020010, 0x00020012, 0x00041510, 0x00041512, 0x00080016, 0x0008010c, 0x0008010d, 0x00081150,
  0x0008114a, 0x00081164, 0x0040a170,
]);

/** Everything a walk needs and gathers. */
export interface WalkContext {
  readonly options: ProfileOptions;
  readonly keep: ReadonlySet<number>;
  readonly keepCreators: ReadonlySet<string>;
  /** The keyed pseudonym of an original UID. */
  readonly pseudonym: (uid: string) => string;
  /** The pseudonym of a UID the de-identifier has met in a UI value (this file's or an earlier one's), else undefined. */
  readonly knownPseudonym: (uid: string) => string | undefined;
  readonly shiftDays: number;
  /** Patterns of the data set's identifying values, for Clean Descriptors (made when first asked for). */
  readonly cleanNeedles: () => readonly Needle[];
  readonly record: RecordEntry[];
  /** pseudonymous → original */
  readonly uids: Map<string, string>;
  /** Shifted dates written (the leak check does not search these as originals). */
  readonly shiftedDates: Set<string>;
  readonly patientPseudonym: string;
  /**
   * Text the profile does not list, inside a sequence whose action is D (`dummy`: dummied too) or
   * that an option cleans (`clean`: kept unless it holds an identifying value; names dummied; dates
   * shifted under Modified Dates, else dummied).
   */
  readonly freeText?: 'dummy' | 'clean';
}

/** Text VRs dummied inside a D sequence (cleaned inside a cleaned one) when the profile does not list them. */
const FREE_TEXT_VRS = new Set(['PN', 'LO', 'SH', 'ST', 'LT', 'UT', 'UC', 'DA', 'DT']);
/** Code attributes (CodeValue, CodingSchemeDesignator, -Version, CodeMeaning, Long/URN code values). */
const CODE_TAGS = new Set([0x00080100, 0x00080102, 0x00080103, 0x00080104, 0x00080119, 0x00080120]);

const NAMES = new Map<number, string>();
const MAX_NAMES = 65536;

/** The attribute name of a tag for records and findings: keyword, else `(gggg,eeee)`. */
export function attributeName(tag: number): string {
  let name = NAMES.get(tag);
  if (name === undefined) {
    name = profileRow(tag)?.keyword ?? entryByTag(tag)?.keyword ?? formatTag(tag);
    // Every element of every instance asks: remember the answers (bounded: a private tag is one of
    // at most 2^32, so cap the memory instead of trusting the input).
    if (NAMES.size < MAX_NAMES) NAMES.set(tag, name);
  }
  return name;
}

export function text(n: ValueNode): string {
  return n.bytes.toString('latin1').replace(/[ \0]+$/, '');
}

function setText(n: ValueNode, value: string): void {
  n.bytes = encodeValue(n.tag, n.vr as Vr, value, true);
}

function isCompound(tag: number): boolean {
  return profileRow(tag)?.basic.includes('/') ?? false;
}

/** The private creator of each block (`group << 8 | block`) of one item. */
export function creatorsOf(item: DataSetNode): Map<number, string> {
  const out = new Map<number, string>();
  for (const n of item) {
    const el = n.tag & 0xffff;
    if ((n.tag >>> 16) & 1 && el >= 0x10 && el <= 0xff && !isSequence(n)) {
      out.set(((n.tag >>> 16) << 8) | el, text(n).trim());
    }
  }
  return out;
}

/** True when a private element belongs to a creator block the caller keeps. */
export function privateKept(tag: number, creators: Map<number, string>, keep: ReadonlySet<string>): boolean {
  const group = tag >>> 16;
  const el = tag & 0xffff;
  if (el < 0x10) return false;
  const block = el <= 0xff ? el : el >> 8;
  const creator = creators.get((group << 8) | block);
  return creator !== undefined && keep.has(creator);
}

/** Applies the profile to one item (or the top-level data set); returns the new element list. */
export function walkItem(item: DataSetNode, path: string, ctx: WalkContext): DataSetNode {
  const creators = creatorsOf(item);
  const out: DataSetNode = [];
  for (const node of item) {
    const attribute = path + attributeName(node.tag);
    let decision: Decision =
      (node.tag >>> 16) & 1
        ? privateKept(node.tag, creators, ctx.keepCreators)
          ? { action: 'K', reason: 'kept private block' }
          : { action: 'X', reason: 'private' }
        : decide(node.tag, node.vr, ctx.options, ctx.keep);
    if (decision.action === 'X' && isSequence(node) && node.items.length === 0 && isCompound(node.tag)) {
      // An empty sequence holds nothing: keep it empty (Z), as a Type 2 sequence must stay.
      decision = { action: 'Z', reason: 'basic (an empty sequence stays empty)' };
    }
    if (ctx.freeText && decision.reason === 'not in the profile' && FREE_TEXT_VRS.has(node.vr)) {
      if (!CODE_TAGS.has(node.tag)) decision = freeTextDecision(node.vr, ctx);
    }
    const kept = apply(node, decision, attribute, ctx);
    if (kept) out.push(kept);
  }
  return out;
}

/** What happens to unlisted free text inside a dummied or cleaned sequence. */
function freeTextDecision(vr: string, ctx: WalkContext): Decision {
  if (ctx.freeText === 'dummy') return { action: 'D', reason: 'free text in a D sequence' };
  if (vr === 'PN') return { action: 'D', reason: 'a name in a cleaned sequence' };
  if (vr === 'DA' || vr === 'DT') {
    return optionOn(ctx.options, 'retainModifiedDates')
      ? { action: 'shift', reason: 'a date in a cleaned sequence' }
      : { action: 'D', reason: 'a date in a cleaned sequence' };
  }
  return { action: 'clean', reason: 'free text in a cleaned sequence' };
}

function log(ctx: WalkContext, attribute: string, action: RecordAction, reason: string): void {
  ctx.record.push({ attribute, action, reason });
}

function recurse(node: ElementNode, attribute: string, ctx: WalkContext): void {
  if (isSequence(node)) node.items = node.items.map((it, i) => walkItem(it, `${attribute}[${i}].`, ctx));
}

/** D on a sequence: its items stay, through the profile, with unlisted free text dummied too. */
function recurseDummy(node: ElementNode, attribute: string, ctx: WalkContext): void {
  recurse(node, attribute, ctx.freeText === 'dummy' ? ctx : { ...ctx, freeText: 'dummy' });
}

function apply(node: ElementNode, d: Decision, attribute: string, ctx: WalkContext): ElementNode | undefined {
  const action: Action = d.action;
  switch (action) {
    case 'X':
      log(ctx, attribute, 'removed', d.reason);
      return undefined;
    case 'Z':
      if (isSequence(node)) node.items = [];
      else node.bytes = Buffer.alloc(0);
      log(ctx, attribute, 'emptied', d.reason);
      return node;
    case 'D':
      if (isSequence(node)) recurseDummy(node, attribute, ctx);
      else if (node.vr === 'UI') remap(node, ctx);
      else setDummy(node, ctx);
      log(ctx, attribute, 'dummy', d.reason);
      return node;
    case 'K':
      if (isSequence(node)) recurse(node, attribute, ctx);
      else if (d.reason !== 'keep list') remapUidsInText(node, attribute, ctx);
      if (d.reason !== 'not in the profile') log(ctx, attribute, 'kept', d.reason);
      return node;
    case 'U':
      if (isSequence(node)) {
        recurse(node, attribute, ctx);
        log(ctx, attribute, 'remapped', d.reason);
        return node;
      }
      if (node.vr !== 'UI' || CLASS_UID_TAGS.has(node.tag)) return node;
      if (remap(node, ctx)) log(ctx, attribute, 'remapped', d.reason);
      return node;
    case 'shift':
      return shift(node, attribute, d, ctx);
    case 'clean':
      return clean(node, attribute, d, ctx);
    default: {
      const never: never = action;
      return never;
    }
  }
}

/**
 * Text kept (by the profile, an option or a kept private block; not the keep list, which keeps values
 * as they are) that quotes a UID the data sets hold gets the UID's pseudonym, so the text stays
 * consistent with the remapped UI values and the original UID does not leak through it.
 */
function remapUidsInText(node: ValueNode, attribute: string, ctx: WalkContext): void {
  if (!UID_TEXT_VRS.has(node.vr) || node.bytes.length < 3) return;
  const [out, n] = replaceUidsInText(text(node), (uid) => {
    const p = ctx.knownPseudonym(uid);
    if (p !== undefined) ctx.uids.set(p, uid);
    return p;
  });
  if (n === 0) return;
  setText(node, out);
  log(ctx, attribute, 'remapped', `${n} UID(s) in text`);
}

/** Remaps every non-standard UID of a UI value; false when there was none. */
function remap(node: ValueNode, ctx: WalkContext): boolean {
  let changed = false;
  const parts = text(node)
    .split('\\')
    .map((u) => {
      const uid = u.trim();
      if (uid === '' || isStandardUid(uid)) return uid;
      const p = ctx.pseudonym(uid);
      ctx.uids.set(p, uid);
      changed = true;
      return p;
    });
  if (changed) setText(node, parts.join('\\'));
  return changed;
}

const DUMMY_TEXT: Readonly<Record<string, string>> = {
  DA: '19000101',
  DT: '19000101000000',
  TM: '000000',
  DS: '0',
  IS: '0',
  AS: '000Y',
};

/** Replaces a value with a dummy of its VR (PatientID with the patient's keyed pseudonym). */
function setDummy(node: ValueNode, ctx: WalkContext): void {
  if (node.tag === 0x00100020) return setText(node, ctx.patientPseudonym);
  const width = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4, SV: 8, UV: 8 }[node.vr];
  if (width !== undefined) node.bytes = Buffer.alloc(width);
  else if (['OB', 'OW', 'OD', 'OF', 'OL', 'OV', 'UN'].includes(node.vr)) node.bytes = Buffer.alloc(0);
  else setText(node, DUMMY_TEXT[node.vr] ?? (node.vr === 'PN' ? 'ANONYMOUS^' : 'ANONYMOUS'));
}

/** The basic action of a row, for values an option cannot handle. */
function fallback(
  node: ElementNode,
  attribute: string,
  reason: string,
  ctx: WalkContext,
): ElementNode | undefined {
  // Unlisted text only gets here from a cleaned sequence: a dummy keeps its item valid.
  const row = profileRow(node.tag);
  const action = resolveBasic(row?.basic ?? 'D', isSequence(node));
  return apply(node, { action, reason }, attribute, ctx);
}

/** Modified Dates: DA shifted, DT's date part shifted, TM kept; other VRs get the basic action. */
function shift(node: ElementNode, attribute: string, d: Decision, ctx: WalkContext): ElementNode | undefined {
  if (isSequence(node) || !['DA', 'DT', 'TM'].includes(node.vr)) {
    return fallback(node, attribute, `${d.reason} (not a date: basic)`, ctx);
  }
  if (node.vr === 'TM') {
    log(ctx, attribute, 'kept', d.reason);
    return node;
  }
  const value = text(node).trim();
  if (value === '') return node;
  const shifted = value.split('\\').map((v) => {
    const t = v.trim();
    return node.vr === 'DA' ? shiftDate(t, ctx.shiftDays) : shiftDateTime(t, ctx.shiftDays);
  });
  if (shifted.some((s) => s === undefined)) {
    node.bytes = Buffer.alloc(0);
    log(ctx, attribute, 'emptied', `${d.reason} (not a valid date)`);
    return node;
  }
  for (const s of shifted) ctx.shiftedDates.add(s!.slice(0, 8));
  setText(node, shifted.join('\\'));
  log(ctx, attribute, 'shifted', d.reason);
  return node;
}

/** Clean Descriptors: text kept when it holds no identifying value of the data set, else the basic action. */
function clean(node: ElementNode, attribute: string, d: Decision, ctx: WalkContext): ElementNode | undefined {
  if (isSequence(node)) {
    recurse(node, attribute, ctx.freeText === 'dummy' ? ctx : { ...ctx, freeText: 'clean' });
    log(ctx, attribute, 'cleaned', d.reason);
    return node;
  }
  const hit = findInText(node.bytes, ctx.cleanNeedles());
  if (hit) return fallback(node, attribute, `${d.reason}: holds ${hit.value.attribute}`, ctx);
  remapUidsInText(node, attribute, ctx);
  log(ctx, attribute, 'cleaned', d.reason);
  return node;
}
