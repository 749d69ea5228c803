/**
 * Delivering one DICOM instance to a machine the way the platform does: in one of the transfer
 * syntaxes its property accepts (converted when it is in another one berth can convert), with its
 * file meta repaired from the data set. The one rule behind the case materialiser
 * (harness/dicom-case.ts) and the HTTP/wire decoder (wire/decode-dicom.ts); `berth validate`
 * judges by the same canConvert (./instance-rules.ts), so the three agree on what is not applicable.
 */
import { link, lstat, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, isBerthError } from '../errors.js';
import { copyRegularFile } from '../tree/open-regular.js';
import { repairMetaFile } from './repair.js';
import { scanHeader, type DicomHeader } from './scan.js';
import { canTranscode, transcodeFile } from './transcode.js';

/** Where a delivery is, for error details, and what the caller knows of it. */
export interface DeliverWhere {
  /** The property's path in the manifest. */
  readonly property?: string;
  /**
   * The header of `from` as the caller read it (a folder's index): not read again, nor the
   * copy's when `from` is placed as it is.
   */
  readonly known?: DicomHeader;
  /**
   * Place an instance that needs no conversion as a hard link to `from` (a copy where no link can
   * be made: another file system). Only for a machine that gets its input tree read-only and whose
   * entries berth then never changes in place (a repaired meta is written as a new file): through a
   * link, a machine that can write its input would change `from`.
   */
  readonly link?: boolean;
}

/**
 * Places the instance `from` at `to` (`to` may be `from`: converted in place; else it must not
 * exist yet) in one of `accepted` (all syntaxes when it is undefined or empty): as it is when it
 * is in one — copied from `from` opened without following a link — else converted to the first
 * accepted syntax berth can convert it to (decoded and re-encoded as transcode.ts can). Then
 * rebuilds its file meta when it disagrees with the data set or lacks elements (repair.ts).
 * @throws {@link BerthError} BERTH_E_DICOM_TRANSFER_SYNTAX (not applicable) when berth cannot
 * convert it — no codec, a lossy target, or a codestream the codec refuses (progressive JPEG) — or the
 * read codes of a broken file.
 */
export async function deliverInSyntax(
  from: string,
  to: string,
  accepted: readonly string[] | undefined,
  where: DeliverWhere = {},
): Promise<void> {
  const { known } = where;
  if (!(await convertInto(from, to, accepted, where)) && path.resolve(from) !== path.resolve(to)) {
    await (where.link ? linkOrCopy(from, to) : copyRegularFile(from, to));
    // Placed as it is: a meta the caller's header found right is right in the copy.
    if (known && known.warnings.length === 0) return;
  }
  await repairMetaFile(to);
}

/** A hard link to the regular file `from` at `to`; a copy where none can be made (another file system). */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
    // link(2) links a symlink itself: only a regular file stays linked; a symlink is refused below.
    if ((await lstat(to)).isFile()) return;
    await rm(to, { force: true });
  } catch {
    // EXDEV, EPERM (protected hard links), EMLINK …: the copy says what is really wrong, if anything.
  }
  await copyRegularFile(from, to);
}

/** Converts `from` into `to` when it is in no accepted syntax; false when it needs no conversion. */
async function convertInto(
  from: string,
  to: string,
  accepted: readonly string[] | undefined,
  where: DeliverWhere,
): Promise<boolean> {
  if (!accepted || accepted.length === 0) return false;
  const header = where.known ?? (await scanHeader(from));
  const current = header.TransferSyntaxUID;
  if (accepted.includes(current)) return false;
  const details = { path: from, ...(where.property === undefined ? {} : { property: where.property }) };
  const target = accepted.find((t) => canTranscode(current, t, header.BitsStored));
  if (!target) {
    throw new BerthError(
      'BERTH_E_DICOM_TRANSFER_SYNTAX',
      `${path.basename(from)} is in ${current}; berth cannot convert it to ${accepted.join(' or ')}`,
      details,
    );
  }
  await transcodeFile(from, to, target).catch((e: unknown) => {
    // A codestream berth turns out not to decode: not applicable, like no codec at all.
    if (!isBerthError(e) || e.code !== 'BERTH_E_TRANSCODE_UNSUPPORTED') throw e;
    throw new BerthError('BERTH_E_DICOM_TRANSFER_SYNTAX', `${path.basename(from)}: ${e.detail}`, details);
  });
  return true;
}
