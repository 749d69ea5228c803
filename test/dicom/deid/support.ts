/** Helpers of the de-identification tests: reading trees of elements back, and finding values. */
import { isSequence, parseFile, type DataSetNode } from '../../../src/dicom/deid/tree.js';

/** Every element of a file as `path → value bytes` (paths like `(0008,1140)[0].(0008,1155)`). */
export function flatten(bytes: Buffer, prefix = ''): Map<string, { vr: string; bytes: Buffer }> {
  const out = new Map<string, { vr: string; bytes: Buffer }>();
  const file = parseFile(bytes, 'test.dcm');
  const walk = (item: DataSetNode, p: string): void => {
    for (const n of item) {
      const name = `${p}${n.tag.toString(16).padStart(8, '0')}`;
      if (isSequence(n)) n.items.forEach((it, i) => walk(it, `${name}[${i}].`));
      else out.set(name, { vr: n.vr, bytes: n.bytes });
    }
  };
  walk(file.meta, `${prefix}meta.`);
  walk(file.dataSet, prefix);
  return out;
}

/** The text of a top-level element (trimmed), or undefined. */
export function top(bytes: Buffer, tag: number): string | undefined {
  const n = parseFile(bytes, 'test.dcm').dataSet.find((e) => e.tag === tag);
  return n && !isSequence(n) ? n.bytes.toString('latin1').replace(/[\0 ]+$/, '') : undefined;
}
