/**
 * The decode walk's DICOM values (./case-decode.ts): instances scanned and checked in memory,
 * planned where the DICOM writer stores them; after writing, the folder checks of `checkTree`.
 */
import { checkDicomEntry } from '../dicom/folder-check.js';
import { instanceProblems } from '../dicom/instance-rules.js';
import { scanHeaderBytes, type DicomHeader } from '../dicom/scan.js';
import { deliverInSyntax } from '../dicom/deliver.js';
import { BerthError, defaultSeverityOf, isBerthError } from '../errors.js';
import type { Property } from '../kinds/property.js';
import { safeJoin } from '../tree/safe-path.js';
import { pointerTo } from './case-format.js';
import {
  WireDecodeError,
  bytesOf,
  countEntries,
  describe,
  report,
  reportError,
  type Decoded,
  type PlannedDicom,
  type Walk,
} from './decode-walk.js';
import { dicomSpecOf } from '../kinds/dicom-constraints.js';
import { dicomLevelOf } from '../kinds/registry.js';
import { dicomEntryOf } from '../kinds/dicom-property.js';

/** Checks DICOM instances in memory and plans where the writer stores them. */
export function decodeDicom(walk: Walk, p: Property, v: unknown, pointer: string, abs: string): Decoded {
  const image = dicomLevelOf(p) === 'instance';
  const study = dicomLevelOf(p) === 'study';
  const items = instanceList(walk, p, v, pointer, image);
  if (items === undefined) return undefined;
  const planned: PlannedDicom = { p, pointer, abs, instances: [] };
  const sources: Uint8Array[] = [];
  const seen: SeenInstances = { sops: new Map() };
  let ok = true;
  items.forEach((item, i) => {
    const at = image ? pointer : pointerTo(pointer, i);
    try {
      const bytes = bytesOf(
        walk,
        p,
        item,
        at,
        image ? `The instance ${p.name}` : `Instance ${i} of ${p.name}`,
      );
      if (!bytes) {
        ok = false;
        return;
      }
      const header = scanHeaderBytes(bytes, `${p.name}${image ? '' : `[${i}]`}`);
      // A warning (an input in a syntax berth converts) is no refusal: checkDicomFolders converts it.
      const problems = instanceProblems(header, dicomSpecOf(p).constraints, p.side).filter(
        (x) => defaultSeverityOf(x.code) === 'error',
      );
      for (const problem of problems) report(walk, problem.code, problem.message, at, p, problem.expected);
      if (!fitsEarlier(walk, p, header, at, seen, study)) ok = false;
      // The DICOM writer's layout; UIDs are data, so safeJoin refuses any that would not be one name.
      const target = image
        ? abs
        : study
          ? safeJoin(abs, header.SeriesInstanceUID, `${header.SOPInstanceUID}.dcm`)
          : safeJoin(abs, `${header.SOPInstanceUID}.dcm`);
      if (problems.length > 0) ok = false;
      planned.instances.push({ pointer: at, header, target });
      sources.push(bytes);
    } catch (e) {
      reportError(walk, e, at, p);
      ok = false;
    }
  });
  if (!ok) return undefined;
  walk.dicom.push(planned);
  return image ? sources[0] : sources;
}

/** The instances a value holds (one for an image), or undefined with the problem reported. */
function instanceList(
  walk: Walk,
  p: Property,
  v: unknown,
  pointer: string,
  image: boolean,
): unknown[] | undefined {
  if (image) return [v];
  if (!Array.isArray(v)) {
    return report(
      walk,
      'BERTH_E_VALUE_TYPE',
      `${p.name} is ${p.kind} and takes a list of instances, not ${describe(v)}`,
      pointer,
      p,
      `a list of DICOM Part 10 instances (${walk.format === 'json' ? 'base64' : 'bin'})`,
    );
  }
  if (v.length === 0) {
    return report(
      walk,
      'BERTH_E_DICOM_EMPTY',
      `${p.name} lists no instances`,
      pointer,
      p,
      'at least one instance',
    );
  }
  countEntries(walk, v.length, pointer, p, true);
  return v;
}

/** The UIDs all instances of a value share, and the code when one differs. */
const MIXED_UIDS = [
  ['SeriesInstanceUID', 'BERTH_E_DICOM_MIXED_SERIES'],
  ['StudyInstanceUID', 'BERTH_E_DICOM_MIXED_STUDY'],
] as const;

/** The instances of one value seen so far: SOP instance UIDs (with where), the first header. */
interface SeenInstances {
  sops: Map<string, string>;
  series?: DicomHeader;
}

/**
 * Whether an instance fits those before it: a SOP instance once, one series (a study may hold
 * several), one study. Reports each misfit; records the instance in `seen`.
 */
function fitsEarlier(
  walk: Walk,
  p: Property,
  header: DicomHeader,
  at: string,
  seen: SeenInstances,
  study: boolean,
): boolean {
  let ok = true;
  const { series } = seen;
  const earlier = seen.sops.get(header.SOPInstanceUID);
  if (earlier !== undefined) {
    report(
      walk,
      'BERTH_E_DUPLICATE_INSTANCE',
      `SOPInstanceUID ${header.SOPInstanceUID} is also the instance at ${earlier}`,
      at,
      p,
      'each SOP instance once',
    );
    ok = false;
  }
  seen.sops.set(header.SOPInstanceUID, at);
  // A study may hold several series; every value holds one study.
  for (const [uid, code] of MIXED_UIDS) {
    if (!series || header[uid] === series[uid] || (study && uid === 'SeriesInstanceUID')) continue;
    report(
      walk,
      code,
      `${uid} ${header[uid]} differs from ${series[uid]} of the first instance`,
      at,
      p,
      `instances of one ${uid}`,
    );
    ok = false;
  }
  seen.series ??= header;
  return ok;
}

/**
 * After writing: every DICOM input instance delivered as the case materialiser delivers it (in an
 * accepted transfer syntax, converted when it is in another one berth converts; meta repaired — one
 * function, ../dicom/deliver.ts), then the folder checks of `checkTree` on every series and study
 * (counts, frames of reference). One berth cannot convert is BERTH_E_DICOM_TRANSFER_SYNTAX (not
 * applicable).
 */
export async function checkDicomFolders(walk: Walk): Promise<void> {
  const problems: BerthError[] = [];
  // Inputs only: an output document's instances are the machine's, checked as written.
  for (const planned of walk.dicom.filter((d) => d.p.side === 'in')) {
    for (const i of planned.instances) {
      try {
        await deliverInSyntax(i.target, i.target, dicomSpecOf(planned.p).constraints.transferSyntaxUids, {
          property: planned.p.path,
        });
      } catch (e) {
        if (!isBerthError(e)) throw e;
        const expected = e.expected === undefined ? {} : { expected: e.expected };
        problems.push(
          new BerthError(e.code, e.detail, { path: i.pointer, property: planned.p.path, ...expected }),
        );
      }
    }
  }
  if (problems.length > 0) throw new WireDecodeError(problems, false);
  for (const planned of walk.dicom) {
    const entry = dicomEntryOf(planned.p);
    if (entry === undefined || entry.level === 'instance') continue;
    const findings = await checkDicomEntry(entry, planned.abs, planned.p.side);
    for (const f of findings) {
      if (f.severity !== 'error') continue;
      const at = planned.instances.find((i) => i.target === f.path)?.pointer ?? planned.pointer;
      problems.push(
        new BerthError(f.code, f.message, {
          path: at,
          property: planned.p.path,
          ...(f.expected === undefined ? {} : { expected: f.expected }),
        }),
      );
    }
  }
  if (problems.length > 0) throw new WireDecodeError(problems, false);
}
