/**
 * Re-identification: an output of a machine that saw de-identified inputs, given back its identity.
 * Every pseudonymous UID the map knows is mapped back wherever it occurs (any UI element at any depth:
 * SR content, SEG and GSPS references, the file meta; and quoted in text: LO, SH, ST, LT, UT, UC, UR); UIDs the machine minted stay; the Patient and
 * Study module attributes are copied from the stored originals of the study (not shifted back: dates
 * the machine wrote "now" must not move); the de-identification markers are removed.
 */
import type { Vr } from '../dictionary.js';
import { encodeValue } from '../write.js';
import { replaceUidsInText, UID_TEXT_VRS } from './pseudonyms.js';
import { fromJson, type DeidMap } from './map.js';
import { encodeFile } from './encode-tree.js';
import { isSequence, parseFile, type DataSetNode, type ValueNode } from './tree.js';
import { text } from './walk.js';

/** Patient, Patient Study and General Study module attributes restored from the originals. */
export const PATIENT_STUDY_TAGS: ReadonlySet<number> = new Set([
  // Patient
  0x00100010, 0x00100020, 0x00100021, 0x00100022, 0x00100024, 0x00100030, 0x00100032, 0x00100040, 0x00100200,
  0x00101000, 0x00101001, 0x00101002, 0x00102160, 0x00102201, 0x00102292, 0x00102297, 0x00102299, 0x00104000,
  0x00081120,
  // General Study
  0x00080020, 0x00080030, 0x00080050, 0x00080051, 0x00080090, 0x00080096, 0x00081030, 0x00081032, 0x00081048,
  0x00081049, 0x00081060, 0x00081062, 0x00081110, 0x00200010, 0x00321034, 0x00401012,
  // Patient Study
  0x00081080, 0x00081084, 0x00101010, 0x00101020, 0x00101022, 0x00101030, 0x00102180, 0x001021a0, 0x001021b0,
  0x001021c0, 0x001021d0, 0x00102203, 0x00380010, 0x00380014, 0x00380060, 0x00380062,
]);

/** The markers de-identification adds, removed again. */
const MARKERS = new Set([0x00120062, 0x00120063, 0x00120064, 0x00280303]);

/** What re-identification did to one output. */
export interface ReidResult {
  readonly bytes: Buffer;
  /** UID values mapped back to originals. */
  readonly uidsRestored: number;
  /** The original StudyInstanceUID whose attributes were copied, if the map has the study. */
  readonly study: string | undefined;
}

function mapBack(item: DataSetNode, uids: Readonly<Record<string, string>>): number {
  let n = 0;
  for (const node of item) {
    if (isSequence(node)) {
      for (const it of node.items) n += mapBack(it, uids);
      continue;
    }
    const lookup = (u: string): string | undefined => (Object.hasOwn(uids, u) ? uids[u] : undefined);
    if (UID_TEXT_VRS.has(node.vr)) {
      const [out, k] = replaceUidsInText(text(node), lookup);
      if (k > 0) node.bytes = encodeValue(node.tag, node.vr as Vr, out, true);
      n += k;
      continue;
    }
    if (node.vr !== 'UI') continue;
    let changed = false;
    const parts = text(node)
      .split('\\')
      .map((u) => {
        const original = lookup(u.trim());
        if (original === undefined) return u;
        changed = true;
        n++;
        return original;
      });
    if (changed) node.bytes = encodeValue(node.tag, 'UI', parts.join('\\'), true);
  }
  return n;
}

/** Re-identifies one output file held in memory; `path` names it in errors. */
export function reidentify(bytes: Buffer, map: DeidMap, path: string): ReidResult {
  const file = parseFile(bytes, path);
  const uidsRestored = mapBack(file.dataSet, map.uids) + mapBack(file.meta, map.uids);
  let ds = file.dataSet.filter((n) => !MARKERS.has(n.tag));
  const studyNode = ds.find((n) => n.tag === 0x0020000d) as ValueNode | undefined;
  const study = studyNode && text(studyNode).trim();
  const originals = study !== undefined && Object.hasOwn(map.studies, study) ? map.studies[study] : undefined;
  if (originals) {
    const restored = fromJson(originals.elements, path);
    const tags = new Set(restored.map((n) => n.tag));
    ds = [...ds.filter((n) => !tags.has(n.tag)), ...restored];
  }
  const sop = ds.find((n) => n.tag === 0x00080018) as ValueNode | undefined;
  const meta = file.meta.map((n) =>
    n.tag === 0x00020003 && sop ? { tag: n.tag, vr: n.vr, bytes: Buffer.from(sop.bytes) } : n,
  );
  return {
    bytes: encodeFile({ ...file, meta, dataSet: ds }),
    uidsRestored,
    study: originals ? study : undefined,
  };
}
