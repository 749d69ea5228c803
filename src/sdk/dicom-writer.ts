/**
 * Writing DICOM outputs: instances given as Part 10 bytes (or a file path) are checked, then stored
 * atomically in the platform's input layout, named by the UIDs read from their own bytes:
 * `<SOPInstanceUID>.dcm` in a dicom-series folder, `<SeriesInstanceUID>/<SOPInstanceUID>.dcm` in a
 * dicom-study folder. UIDs are input data, so every name goes through `safeJoin`.
 *
 * Refused, each with its code, before anything is written: bytes that are not readable Part 10
 * (the scan's codes), a transfer syntax, SOP class or modality the property does not accept
 * (BERTH_E_DICOM_TRANSFER_SYNTAX, _SOP_CLASS, _MODALITY), a SOP instance written twice
 * (BERTH_E_DUPLICATE_INSTANCE), a second series in a dicom-series or a second study in a series or
 * study (BERTH_E_DICOM_MIXED_SERIES, _MIXED_STUDY), and — when the machine's inputs are known —
 * reusing an input's SOP or series UID or leaving the input's study (BERTH_E_DICOM_REUSED_SOP_UID,
 * _REUSED_SERIES_UID, _STUDY_NOT_KEPT). Instance counts are checked by `finish()`, once all are written.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, defaultSeverityOf, isBerthError, toBerthError } from '../errors.js';
import { indexFolder } from '../dicom/index.js';
import { repairedBytes } from '../dicom/repair.js';
import { scanHeader, scanHeaderBytes, type DicomHeader } from '../dicom/scan.js';
import type { Property } from '../kinds/property.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { safeJoin } from '../tree/safe-path.js';
import { instanceProblems } from '../dicom/instance-rules.js';
import { outputUidProblems, type InputUidSource } from '../dicom/output-uids.js';
import { dicomSpecOf } from '../kinds/dicom-constraints.js';
import { dicomLevelOf } from '../kinds/registry.js';
import { refusal } from '../kinds/value.js';

/** A DICOM instance to write: Part 10 bytes, or the path of a Part 10 file (as a string or `{path}`). */
export type DicomSource = Uint8Array | string | { path: string };

/** Where an instance was stored, and its UIDs. */
export interface WrittenInstance {
  readonly path: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
}

/** Options of {@link DicomOutputs}. */
export interface DicomOutputsOptions {
  /** The machine's input UIDs, for the output UID rules (see `inputUidSource` in kinds/dicom-property.ts). */
  inputs?: InputUidSource;
}

/** What is already in one output folder: its SOP instances, and the series and study it is bound to. */
interface FolderState {
  readonly sops: Set<string>;
  series: string | undefined;
  study: string | undefined;
  /** Adds run one after another, so checks and writes never interleave. */
  queue: Promise<unknown>;
}

function sourcePath(source: DicomSource): string | undefined {
  if (typeof source === 'string') return source;
  if (source instanceof Uint8Array) return undefined;
  if (typeof source === 'object' && source !== null && typeof source.path === 'string') return source.path;
  return undefined;
}

function isDicomSource(v: unknown): v is DicomSource {
  return (
    typeof v === 'string' ||
    v instanceof Uint8Array ||
    (typeof v === 'object' && v !== null && typeof (v as { path?: unknown }).path === 'string')
  );
}

/** A source's bytes and scanned header; paths are read whole (the bytes written are the bytes checked). */
async function load(source: DicomSource, p: Property): Promise<{ bytes: Uint8Array; header: DicomHeader }> {
  const file = sourcePath(source);
  let bytes: Uint8Array;
  if (file !== undefined) {
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw toBerthError(e, 'BERTH_E_IO', { path: file, property: p.path });
    }
  } else if (source instanceof Uint8Array) {
    bytes = source;
  } else {
    throw new BerthError('BERTH_E_VALUE_TYPE', `${p.name} takes Part 10 bytes or a file path`, {
      property: p.path,
      expected: 'a Uint8Array/Buffer, a path string or {path}',
    });
  }
  const where = file ?? `<bytes for ${p.path}>`;
  const header = scanHeaderBytes(bytes, where);
  // A meta that disagrees with the data set, or lacks elements, is written repaired (issue 14).
  const repaired = repairedBytes(bytes, header);
  return repaired ? { bytes: repaired, header: scanHeaderBytes(repaired, where) } : { bytes, header };
}

/**
 * The DICOM output layer of one machine: per-folder state shared by every writer of the same
 * property, the input UIDs for the output rules, and the `set()` hook. `openMachine` makes one.
 */
export class DicomOutputs {
  readonly #states = new Map<string, Promise<FolderState>>();
  readonly #inputs: InputUidSource | undefined;

  constructor(options: DicomOutputsOptions = {}) {
    this.#inputs = options.inputs;
  }

  /** The per-instance checks: the property's constraints and the output UID rules. */
  async check(header: DicomHeader, p: Property, where: string): Promise<void> {
    // Warnings (an input in a syntax berth converts on delivery: wire/decode-dicom.ts) do not refuse.
    const problems = instanceProblems(header, dicomSpecOf(p).constraints, p.side).filter(
      (x) => defaultSeverityOf(x.code) === 'error',
    );
    if (this.#inputs) problems.push(...outputUidProblems(header, await this.#inputs()));
    if (problems.length > 0) throw refusal(problems[0]!, p, where);
  }

  /** The state of an output folder, read from disk once (it may hold instances from earlier writes). */
  #state(dir: string): Promise<FolderState> {
    const key = path.resolve(dir);
    let state = this.#states.get(key);
    if (!state) {
      state = (async (): Promise<FolderState> => {
        const s: FolderState = {
          sops: new Set(),
          series: undefined,
          study: undefined,
          queue: Promise.resolve(),
        };
        const index = await indexFolder(key).catch(() => undefined);
        for (const h of index?.instances.values() ?? []) {
          s.sops.add(h.SOPInstanceUID);
          s.series ??= h.SeriesInstanceUID;
          s.study ??= h.StudyInstanceUID;
        }
        return s;
      })();
      this.#states.set(key, state);
    }
    return state;
  }

  /**
   * Checks one instance and stores it under `dir` (a dicom-series or dicom-study output folder).
   * Adds to the same folder run one after another.
   */
  async add(p: Property, dir: string, source: DicomSource): Promise<WrittenInstance> {
    const { bytes, header } = await load(source, p);
    const study = dicomLevelOf(p) === 'study';
    const target = study
      ? safeJoin(dir, header.SeriesInstanceUID, `${header.SOPInstanceUID}.dcm`)
      : safeJoin(dir, `${header.SOPInstanceUID}.dcm`);
    await this.check(header, p, target);
    const state = await this.#state(dir);
    const run = state.queue.then(async () => {
      bindInstance(state, header, p, target, !study);
      state.sops.add(header.SOPInstanceUID);
      try {
        await writeFileAtomic(target, bytes);
      } catch (e) {
        state.sops.delete(header.SOPInstanceUID);
        throw e;
      }
      return written(target, header);
    });
    state.queue = run.catch(() => undefined);
    return run;
  }

  /** Checks and writes a dicom-image output file. */
  async image(p: Property, abs: string, source: DicomSource): Promise<WrittenInstance> {
    const { bytes, header } = await load(source, p);
    await this.check(header, p, abs);
    await writeFileAtomic(abs, bytes);
    return written(abs, header);
  }

  /**
   * The `set()` hook: a dicom-image from one source; a dicom-series or dicom-study from a list of
   * sources, all checked before anything is written, replacing what the folder held.
   */
  readonly write = async (p: Property, abs: string, value: unknown): Promise<void> => {
    if (dicomLevelOf(p) === 'instance') {
      if (!isDicomSource(value)) throw typeError(p, abs, 'Part 10 bytes or a file path');
      await this.image(p, abs, value);
      return;
    }
    if (!Array.isArray(value) || !value.every(isDicomSource)) {
      throw typeError(p, abs, 'a list of instances (Part 10 bytes or file paths)');
    }
    const study = dicomLevelOf(p) === 'study';
    // Check everything first (headers only for paths), so a bad instance leaves the old folder as it was.
    const state: FolderState = {
      sops: new Set(),
      series: undefined,
      study: undefined,
      queue: Promise.resolve(),
    };
    const plan: { source: DicomSource; target: string; header: DicomHeader }[] = [];
    for (const source of value) {
      const file = sourcePath(source);
      let header: DicomHeader;
      if (file !== undefined) {
        try {
          header = await scanHeader(file);
        } catch (e) {
          throw isBerthError(e) ? e : toBerthError(e, 'BERTH_E_IO', { path: file });
        }
      } else header = (await load(source, p)).header;
      const target = study
        ? safeJoin(abs, header.SeriesInstanceUID, `${header.SOPInstanceUID}.dcm`)
        : safeJoin(abs, `${header.SOPInstanceUID}.dcm`);
      await this.check(header, p, target);
      bindInstance(state, header, p, target, !study);
      state.sops.add(header.SOPInstanceUID);
      plan.push({ source, target, header });
    }
    const key = path.resolve(abs);
    this.#states.delete(key);
    await rm(abs, { recursive: true, force: true });
    await mkdir(abs, { recursive: true });
    for (const { source, target } of plan) {
      const bytes = source instanceof Uint8Array ? source : (await load(source, p)).bytes;
      await writeFileAtomic(target, bytes);
    }
    this.#states.set(key, Promise.resolve(state));
  };
}

function typeError(p: Property, abs: string, expected: string): BerthError {
  return new BerthError('BERTH_E_VALUE_TYPE', `${p.name} is ${p.kind} and takes ${expected}`, {
    path: abs,
    property: p.path,
    expected,
  });
}

function written(target: string, h: DicomHeader): WrittenInstance {
  return {
    path: target,
    sopInstanceUid: h.SOPInstanceUID,
    seriesInstanceUid: h.SeriesInstanceUID,
    studyInstanceUid: h.StudyInstanceUID,
  };
}

/** Refuses an instance that does not fit what the folder already holds; binds an empty folder to it. */
function bindInstance(
  state: FolderState,
  h: DicomHeader,
  p: Property,
  target: string,
  oneSeries: boolean,
): void {
  const where = { path: target, property: p.path };
  if (state.sops.has(h.SOPInstanceUID)) {
    throw new BerthError(
      'BERTH_E_DUPLICATE_INSTANCE',
      `SOPInstanceUID ${h.SOPInstanceUID} is already written`,
      {
        ...where,
        expected: 'each SOP instance written once',
      },
    );
  }
  if (oneSeries && state.series !== undefined && state.series !== h.SeriesInstanceUID) {
    throw new BerthError(
      'BERTH_E_DICOM_MIXED_SERIES',
      `SeriesInstanceUID ${h.SeriesInstanceUID} differs from ${state.series}, the series already written`,
      { ...where, expected: `instances of series ${state.series}` },
    );
  }
  if (state.study !== undefined && state.study !== h.StudyInstanceUID) {
    throw new BerthError(
      'BERTH_E_DICOM_MIXED_STUDY',
      `StudyInstanceUID ${h.StudyInstanceUID} differs from ${state.study}, the study already written`,
      { ...where, expected: `instances of study ${state.study}` },
    );
  }
  state.series ??= h.SeriesInstanceUID;
  state.study ??= h.StudyInstanceUID;
}

/** The DICOM output layer of a write scope, made on first use when the scope has none. */
export function dicomOutputsOf(scope: { dicomOutputs?: unknown }): DicomOutputs {
  if (scope.dicomOutputs instanceof DicomOutputs) return scope.dicomOutputs;
  const outputs = new DicomOutputs();
  scope.dicomOutputs = outputs;
  return outputs;
}

/**
 * Adds instances to a dicom-series output (each stored as `<SOPInstanceUID>.dcm`) or a dicom-study
 * output (`<SeriesInstanceUID>/<SOPInstanceUID>.dcm`): the property's DICOM level decides.
 */
export class DicomFolderWriter {
  constructor(
    /** The series or study folder. */
    readonly dir: string,
    readonly property: Property,
    private readonly outputs: DicomOutputs,
  ) {}

  /**
   * Checks one instance (Part 10 bytes or a file path) and stores it. Refuses (BerthError) non-Part-10
   * data, a transfer syntax / SOP class / modality the property does not accept, an instance already
   * written, an instance of another series (in a series) or study, and reused input UIDs.
   */
  add(source: DicomSource): Promise<WrittenInstance> {
    return this.outputs.add(this.property, this.dir, source);
  }
}

/** The writer `outputs.dicomSeries()` returns: a {@link DicomFolderWriter} on a series folder. */
export { DicomFolderWriter as DicomSeriesWriter };
/** The writer `outputs.dicomStudy()` returns: a {@link DicomFolderWriter} on a study folder. */
export { DicomFolderWriter as DicomStudyWriter };
