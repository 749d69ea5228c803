/**
 * The harness's de-identification stage (`berth run|test --deidentify`), as the platform's Liaison:
 * the materialised input tree's DICOM files are de-identified before the machine sees them (the
 * original tree is kept beside it as `input-identified/`), the machine's outputs are scanned for every
 * identifying value of the originals (BERTH_E_PHI_LEAK), and valid outputs are re-identified before
 * they are compared, reported or copied out (the machine's own tree is kept as `output-deidentified/`).
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { finding, isBerthError, isCode, type Finding } from '../errors.js';
import type { MachineDefinition } from '../check/manifest.js';
import { Deidentifier } from '../dicom/deid/deidentify.js';
import {
  deidentifyFolder,
  listFiles,
  MAX_DEID_FILE_BYTES,
  outputPath,
  reidentifyFolder,
  type DeidFolderReport,
  type Skipped,
} from '../dicom/deid/folder.js';
import { scanForLeaks } from '../dicom/deid/leak.js';
import { keepTag, type SecretSource } from '../dicom/deid/settings.js';
import { PROFILE_EDITION } from '../dicom/deid/table.js';
import type { RecordAction, RecordEntry } from '../dicom/deid/walk.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { readRegularFile } from '../tree/open-regular.js';

/** What `--deidentify` and its options ask for (the secret is resolved before the run). */
export interface DeidRunSettings {
  secret: Buffer;
  secretSource: SecretSource;
  retainModifiedDates: boolean;
  retainPatientCharacteristics?: boolean;
  retainDeviceIdentity?: boolean;
  cleanDescriptors?: boolean;
  keepPrivateCreators?: string[];
  allowBurnedIn?: boolean;
}

/** One line of what was done: an attribute path (item indices folded to `[]`), its action and why. */
export interface DeidAttributeLine {
  attribute: string;
  action: RecordAction;
  reason: string;
  /** How many elements, over every input instance. */
  count: number;
}

/** The report's `deidentification` section (schemas/report.schema.json). */
export interface DeidRunReport {
  method: string;
  edition: string;
  secret: SecretSource;
  options: Omit<DeidRunSettings, 'secret' | 'secretSource'> & { keep: string[] };
  /** DICOM instances de-identified; input files copied as they are (not DICOM). */
  instances: number;
  copied: number;
  counts: Partial<Record<RecordAction, number>>;
  attributes: DeidAttributeLine[];
  /** True when more than {@link MAX_LISTED_ATTRIBUTES} lines were cut. */
  truncated: boolean;
  studies: { pseudonymousStudyUid: string; dateShiftDays: number }[];
  /** Original → pseudonymous (what the machine saw), and pseudonymous → original (applied to outputs). */
  uidMaps: { deidentify: Record<string, string>; reidentify: Record<string, string> };
  leaks: number;
  /** The re-identified outputs (absent when the outputs were invalid and left as the machine wrote them). */
  outputs?: { file: string; uidsRestored: number }[];
}

/** Lines of the attribute list kept in a report. */
export const MAX_LISTED_ATTRIBUTES = 2000;

/** A refusal: an input that cannot be de-identified (burned-in, broken) stops the run. */
export interface DeidRefusal {
  findings: Finding[];
}

/** The stage of one run: one {@link Deidentifier}, hence one map, per run. */
export class DeidRun {
  private constructor(
    private readonly d: Deidentifier,
    readonly report: DeidRunReport,
  ) {}

  /** De-identifies `inputDir` in place (the originals move to `input-identified/` in `workDir`). */
  static async start(
    settings: DeidRunSettings,
    definition: MachineDefinition,
    inputDir: string,
    workDir: string,
  ): Promise<{ run: DeidRun; refusal?: DeidRefusal }> {
    const { secret, secretSource, ...options } = settings;
    const keepNames = definition.settings.dicomTags;
    const d = new Deidentifier({ ...options, secret, keep: keepNames.map(keepTag) });
    const identified = path.join(workDir, 'input-identified');
    await rename(inputDir, identified);
    await mkdir(inputDir);
    const tally = new Map<string, DeidAttributeLine>();
    const onRecord = (record: readonly RecordEntry[]): void => {
      for (const e of record) {
        const attribute = e.attribute.replace(/\[\d+\]/g, '[]');
        const key = `${e.action}\u0000${attribute}\u0000${e.reason}`;
        const line = tally.get(key);
        if (line) line.count += 1;
        else tally.set(key, { attribute, action: e.action, reason: e.reason, count: 1 });
      }
    };
    const folder = await deidentifyFolder(identified, inputDir, d, onRecord).catch(
      (e: unknown): DeidFolderReport => {
        if (!isBerthError(e)) throw e;
        const broken: Skipped = {
          path: e.path ?? identified,
          reason: 'broken',
          code: e.code,
          message: e.detail,
        };
        return { written: [], skipped: [broken], actions: {} };
      },
    );
    const rename_ = (uid: string): string | undefined => d.pseudonymOf(uid);
    const copied = await mirror(identified, inputDir, folder.skipped, rename_, false);
    const lines = [...tally.values()].sort(
      (a, b) => a.action.localeCompare(b.action) || a.attribute.localeCompare(b.attribute),
    );
    const map = d.map();
    const report: DeidRunReport = {
      method: d.method(),
      edition: PROFILE_EDITION,
      secret: secretSource,
      options: { ...options, keep: keepNames },
      instances: folder.written.length,
      copied,
      counts: folder.actions,
      attributes: lines.slice(0, MAX_LISTED_ATTRIBUTES),
      truncated: lines.length > MAX_LISTED_ATTRIBUTES,
      studies: Object.values(map.studies).map((s) => ({
        pseudonymousStudyUid: s.pseudonymousStudyUid,
        dateShiftDays: s.dateShiftDays,
      })),
      uidMaps: {
        deidentify: Object.fromEntries(Object.entries(map.uids).map(([p, o]) => [o, p])),
        reidentify: map.uids,
      },
      leaks: 0,
    };
    const refused = folder.skipped.filter((s) => s.reason === 'broken');
    const run = new DeidRun(d, report);
    if (refused.length === 0) return { run };
    return { run, refusal: { findings: refused.map(refusalFinding) } };
  }

  /**
   * BERTH_E_PHI_LEAK findings: every output file searched for every identifying value of the inputs.
   * Outputs that cannot be searched whole (too deep, unreadable) are an error finding too.
   */
  async leakCheck(outputDir: string): Promise<Finding[]> {
    try {
      const files = await listFiles(outputDir, []);
      const leaks = await scanForLeaks(files, this.d.phi(), { shiftedDates: this.d.shiftedDates });
      this.report.leaks = leaks.length;
      return leaks;
    } catch (e) {
      if (!isBerthError(e)) throw e;
      const f = e.toFinding();
      return [{ ...f, severity: 'error', message: `The outputs cannot be searched for leaks: ${f.message}` }];
    }
  }

  /**
   * Re-identifies `outputDir` (into a staging folder, swapped in when whole; the machine's tree is
   * kept as `output-deidentified/`). Returns notices: a failure leaves the outputs as they were.
   */
  async reidentify(outputDir: string, workDir: string): Promise<string[]> {
    const staged = path.join(workDir, 'output-reidentified');
    const map = this.d.map();
    const back = (uid: string): string | undefined =>
      Object.hasOwn(map.uids, uid) ? map.uids[uid] : undefined;
    try {
      const r = await reidentifyFolder(outputDir, staged, map, { leakCheck: false });
      await mkdir(staged, { recursive: true });
      // Any file the re-identifier could not read stays as the machine wrote it.
      await mirror(outputDir, staged, r.skipped, back, true);
      await rename(outputDir, path.join(workDir, 'output-deidentified'));
      await rename(staged, outputDir);
      this.report.outputs = r.written.map((w) => ({
        file: path.relative(staged, w.output),
        uidsRestored: w.uidsRestored,
      }));
      return [];
    } catch (e) {
      if (!isBerthError(e)) throw e;
      await rm(staged, { recursive: true, force: true });
      return [`--deidentify: the outputs were not re-identified (left pseudonymous): ${e.message}`];
    }
  }
}

function refusalFinding(s: Skipped): Finding {
  const code = s.code !== undefined && isCode(s.code) ? s.code : 'BERTH_E_DICOM_PARSE';
  return finding(code, `The input cannot be de-identified: ${s.message ?? s.reason}`, { path: s.path });
}

/**
 * Recreates `from`'s folders under `to` (empty ones too), names mapped, and copies the files the
 * converter skipped as not DICOM (and, with `copyBroken`, those it could not read); returns how many.
 */
async function mirror(
  from: string,
  to: string,
  skipped: readonly Skipped[],
  rename_: (uid: string) => string | undefined,
  copyBroken: boolean,
): Promise<number> {
  const dirs = [from];
  for (let i = 0; i < dirs.length; i++) {
    for (const e of await readdir(dirs[i]!, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const dir = path.join(dirs[i]!, e.name);
      dirs.push(dir);
      await mkdir(path.dirname(outputPath(from, path.join(dir, 'x'), to, rename_)), { recursive: true });
    }
  }
  let copied = 0;
  for (const s of skipped) {
    if (s.reason === 'link-or-special') continue;
    if (s.reason === 'broken' && !copyBroken) continue;
    const bytes = await readRegularFile(s.path, { maxBytes: MAX_DEID_FILE_BYTES });
    await writeFileAtomic(outputPath(from, s.path, to, rename_), bytes);
    copied += 1;
  }
  return copied;
}
