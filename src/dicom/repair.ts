/**
 * Repairing the file meta of an instance berth lays out (the case materialiser): the data set is
 * authoritative, so a meta that disagrees with it, lacks MediaStorage UIDs or a TransferSyntaxUID,
 * or is missing altogether is rebuilt from the data set; the data set bytes are kept exactly.
 */
import { readRegularFile } from '../tree/open-regular.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { scanHeader, type DicomHeader } from './scan.js';
import { withRepairedMeta } from './write.js';

/** The file's bytes with a correct meta, or undefined when its meta is already right. */
export function repairedBytes(bytes: Uint8Array, h: DicomHeader): Buffer | undefined {
  if (h.warnings.length === 0) return undefined;
  return withRepairedMeta(bytes.subarray(h.dataSetOffset), {
    sopClassUid: h.SOPClassUID,
    sopInstanceUid: h.SOPInstanceUID,
    transferSyntaxUid: h.TransferSyntaxUID,
  });
}

/**
 * Rewrites `file` in place (atomically) when its meta needs repair; returns whether it did.
 * @throws {@link BerthError} the scan's codes for a broken file.
 */
export async function repairMetaFile(file: string): Promise<boolean> {
  const h = await scanHeader(file);
  if (h.warnings.length === 0) return false;
  const fixed = repairedBytes(await readRegularFile(file), h);
  if (fixed) await writeFileAtomic(file, fixed);
  return fixed !== undefined;
}
