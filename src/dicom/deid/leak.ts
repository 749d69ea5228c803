/**
 * The leak check: the second line of defence behind the profile. Every output file (DICOM or not,
 * text or binary) is read in bounded chunks and searched for the identifying values of the original
 * inputs (phi.ts gives the values and the search rules). A hit is a BERTH_E_PHI_LEAK finding naming
 * the output, the byte offset and the input attribute the value came from — never the value itself,
 * so reports can be shared.
 */
import { finding, type Finding } from '../../errors.js';
import { openRegularHandle } from '../../tree/open-regular.js';
import { foldAscii, foldedHitCounts, needlesOf, type Needle, type PhiValue } from './phi.js';

/** Options of {@link scanForLeaks}. */
export interface LeakScanOptions {
  /** Also search values the de-identification let through on purpose (default true). */
  includeKept?: boolean;
  /** Dates written as shifted values, not searched as originals (Deidentifier.shiftedDates). */
  shiftedDates?: ReadonlySet<string>;
  /** Bytes read at a time (default 1 MiB): memory stays bounded whatever the file size. */
  chunkBytes?: number;
}

export const DEFAULT_CHUNK = 1 << 20;

interface Hit {
  needle: Needle;
  offset: number;
}

/** Searches one chunk (`base` = file offset of its first byte); records the first hit per value. */
function searchChunk(
  chunk: Buffer,
  base: number,
  needles: readonly Needle[],
  hits: Map<PhiValue, Hit>,
): void {
  let folded: Buffer | undefined;
  let binary: boolean | undefined;
  for (const n of needles) {
    if (hits.has(n.value)) continue;
    if (!n.folded) {
      const at = chunk.indexOf(n.bytes);
      if (at >= 0) hits.set(n.value, { needle: n, offset: base + at });
      continue;
    }
    folded ??= foldAscii(chunk);
    binary ??= chunk.includes(0);
    for (let at = folded.indexOf(n.bytes); at >= 0; at = folded.indexOf(n.bytes, at + 1)) {
      if (foldedHitCounts(folded, at, n.bytes.length, binary)) {
        hits.set(n.value, { needle: n, offset: base + at });
        break;
      }
    }
  }
}

/**
 * Scans one file for the needles; returns the first hit of each value. The file is opened
 * without following a link and must be a regular file (a machine-written tree is hostile).
 */
export async function scanFile(path: string, needles: readonly Needle[], chunkBytes = DEFAULT_CHUNK) {
  const hits = new Map<PhiValue, Hit>();
  if (needles.length === 0) return hits;
  const longest = Math.max(...needles.map((n) => n.bytes.length));
  const overlap = longest + 8; // the needle and the printable-run context around it
  const fh = await openRegularHandle(path);
  try {
    const buf = Buffer.alloc(Math.max(chunkBytes, overlap * 2) + overlap);
    let carried = 0;
    let base = 0; // file offset of buf[0]
    for (;;) {
      const { bytesRead } = await fh.read(buf, carried, buf.length - carried, null);
      const filled = carried + bytesRead;
      if (filled === 0) break;
      searchChunk(buf.subarray(0, filled), base, needles, hits);
      if (bytesRead === 0) break;
      carried = Math.min(overlap, filled);
      buf.copy(buf, 0, filled - carried, filled);
      base += filled - carried;
    }
  } finally {
    await fh.close();
  }
  return hits;
}

/** Scans output files for the identifying values; one BERTH_E_PHI_LEAK finding per file and value. */
export async function scanForLeaks(
  files: readonly string[],
  values: readonly PhiValue[],
  options: LeakScanOptions = {},
): Promise<Finding[]> {
  const chosen = options.includeKept === false ? values.filter((v) => !v.kept) : values;
  const needles = needlesOf(chosen, options.shiftedDates);
  const findings: Finding[] = [];
  for (const file of files) {
    const hits = await scanFile(file, needles, options.chunkBytes);
    for (const [value, hit] of hits) {
      findings.push(
        finding(
          'BERTH_E_PHI_LEAK',
          `The output holds, at byte ${hit.offset}, the value of input attribute ${value.attribute}` +
            `${hit.needle.folded ? ' (a name, case-insensitively)' : ''}${value.kept ? ' (a value let through on purpose)' : ''}`,
          { path: file, property: value.attribute },
        ),
      );
    }
  }
  return findings;
}
