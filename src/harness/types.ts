import type { DeidRunReport } from './deid-stage.js';
import type { Finding } from '../errors.js';
import type { Outcome } from './outcome.js';
import type { CompareMethod } from '../kinds/kind.js';

/** Tolerances of one comparison, from the case or from the manifest's `berth:` key. */
export interface Tolerance {
  /**
   * Absolute tolerance for numbers, percentages (as fractions: 0.01 is one percentage point),
   * ndarrays, and pixels (per sample, in the image's own units: 0–255 for 8-bit images, stored
   * values for DICOM). Default 0.
   */
  abs?: number;
  /** Relative tolerance for numbers, percentages and ndarrays: `|a − e| ≤ abs + rel·|e|`. Default 0. */
  rel?: number;
  /** Images and DICOM pixels: how many pixels may differ beyond `abs`, over the whole property. Default 0. */
  maxDiffPixels?: number;
  /**
   * Segmentation-like outputs (ndarray or image labels): the lowest Dice per label that still
   * passes (0–1). Setting it selects the `dice` method; `method: dice` alone uses 0.99.
   */
  dice?: number;
  /** DICOM: attributes not to compare beyond the volatile ones, as keywords or tags `(gggg,eeee)`. */
  ignore?: string[];
  /** Compare this way instead of the kind's default (e.g. `hash` for an image). */
  method?: CompareMethod;
}

/** How two values were compared (the kinds' comparison facets say which method takes which kind). */
export type { CompareMethod } from '../kinds/kind.js';

/** One comparison of an expected and an actual output value. */
export interface Comparison {
  /** The property path in the output tree, with array indices: `measurements/2/slice`. */
  path: string;
  /** The property's path in the schema: `schema-out/measurements/[]/slice`. */
  property: string;
  kind: string;
  method: CompareMethod;
  passed: boolean;
  /** Short forms of the two values, for reports. */
  expected?: string;
  actual?: string;
  /** Measured differences, e.g. `{maxAbs: 0.01}`, `{differingPixels: 3}`, `{dice: {1: 0.98}}`. */
  metrics?: Record<string, unknown>;
  /** In words, when it failed. */
  message?: string;
  /** The tolerance applied. */
  tolerance?: Tolerance;
  /** Relative paths of images to show for it (in the report's asset folder), when any. */
  images?: { expected?: string; actual?: string; diff?: string };
}

/** Resource use of the machine's processes. */
export interface Usage {
  wallMs: number;
  /** User + system CPU time of the machine's processes (sampled from /proc; null when unknown). */
  cpuMs: number | null;
  /** Peak resident memory in bytes (VmHWM, summed over the process group; null when unknown). */
  peakRssBytes: number | null;
}

/** What the machine wrote to the status channel. */
export interface StatusSeen {
  /** The last `N%` the machine wrote, 0–100 (null: none). */
  progress: number | null;
  warnings: string[];
  error: string | null;
  /**
   * Status files berth refused to read (a symlink, FIFO, socket, device or directory: never
   * followed or waited on), as warning findings. Absent when there are none.
   */
  findings?: Finding[];
}

/** A captured output stream. */
export interface Captured {
  /** File holding what was kept. */
  file: string;
  /** Bytes the machine wrote in all. */
  totalBytes: number;
  /** Bytes dropped beyond the cap (the head and the tail are kept). */
  droppedBytes: number;
  /** The last lines, for reports. */
  tail: string;
}

/** How the machine ended, before validation. */
export interface ProcessEnd {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** True when berth stopped it (timeout); false when something else killed it. */
  stoppedByBerth: boolean;
}

/** The complete record of one run; written as `--report run.json` (schemas/report.schema.json). */
export interface RunReport {
  schema: 'berth-run-report/1';
  berthVersion: string;
  machine: { name: string; manifest: string; dir: string };
  case: { name: string; path: string };
  driver: string;
  image?: string;
  command: string[];
  outcome: Outcome;
  exitCode: number;
  /** One line in words: why this outcome. */
  reason: string;
  startedAt: string;
  timeoutMs: number;
  usage: Usage | null;
  process: ProcessEnd | null;
  status: StatusSeen;
  stdout: Captured | null;
  stderr: Captured | null;
  /** Findings on the inputs (pre-flight) and on the outputs. */
  inputFindings: Finding[];
  outputFindings: Finding[];
  comparisons: Comparison[];
  /** Manifest settings berth could not honour with this driver (e.g. nvidia, network). */
  notices: string[];
  /** Where the trees of the run were kept (when kept with --keep). */
  trees?: { input: string; output: string; status: string; expected?: string };
  /**
   * The run folder (input/, output/, status/, logs/): the relative paths of this report (findings,
   * captured streams) resolve against it. Removed after the run unless `kept` (`--keep`).
   */
  runFolder?: { path: string; kept: boolean };
  /** Where `berth run --out DIR` copied the final output tree (absolute). */
  outputsCopiedTo?: string;
  /** What `--deidentify` did (harness/deid-stage.ts). */
  deidentification?: DeidRunReport;
}
