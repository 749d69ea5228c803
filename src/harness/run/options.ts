/** What a run is asked for and what it gives back: the types every stage of the run shares. */
import type { MachineDefinition } from '../../check/manifest.js';
import type { CaseSpec } from '../case.js';
import type { DeidRunSettings } from '../deid-stage.js';
import type { Driver } from '../drivers/driver.js';
import type { LaunchExtras } from '../drivers/extras.js';
import type { NoticeSink } from '../dicom-case.js';
import type { Outcome } from '../outcome.js';
import type { Comparison, RunReport, StatusSeen, Tolerance } from '../types.js';

/** How long a machine gets between SIGTERM and SIGKILL when it is stopped. */
export const STOP_GRACE_MS = 1500;

/** Something that happened during a run, for live displays and server-sent events. */
export type RunEvent =
  | {
      type: 'stage';
      stage: 'materialise' | 'preflight' | 'launch' | 'running' | 'collect' | 'compare' | 'done';
    }
  | { type: 'status'; status: StatusSeen }
  | { type: 'outcome'; outcome: Outcome; reason: string };

/** Compares an expected output tree with the actual one; supplied by harness/compare. */
export type Comparer = (
  definition: MachineDefinition,
  expectedDir: string,
  actualDir: string,
  options: { tolerances: Record<string, Tolerance>; assetsDir?: string },
) => Promise<Comparison[]>;

/** Everything one run needs. */
export interface RunOptions {
  definition: MachineDefinition;
  /** The machine's directory (the process driver's working directory). */
  machineDir: string;
  case: CaseSpec;
  driver: Driver;
  /** The command to run; the container driver may leave it empty (the image's own). */
  command: string[];
  image?: string;
  engine?: string;
  /** Overrides the manifest's timeout. */
  timeoutMs?: number;
  /** Bytes of stdout/stderr kept per stream. */
  captureBytes?: number;
  /** Where to keep the run's trees; a fresh temporary folder when absent. */
  workDir?: string;
  /** Keep the work folder after the run (else it is removed unless given as workDir). */
  keep?: boolean;
  /**
   * Copy the final output tree here once the run is over (`berth run --out DIR`): a directory
   * that does not exist yet or is empty.
   */
  outDir?: string;
  /** Extra environment for the machine. */
  env?: Record<string, string>;
  /** Where materialising the case's DICOM values says what it skipped or decided (the run's notices). */
  caseNotice?: NoticeSink;
  compare?: Comparer;
  /** Where comparison images go (for HTML reports). */
  assetsDir?: string;
  onEvent?: (e: RunEvent) => void;
  /** Driver settings beyond the trees (issue 12 §2: Dockerfile layout, writable input, binds). */
  launch?: LaunchExtras;
  /** Notices to report from before the launch (e.g. the command chosen from the Dockerfile). */
  notices?: string[];
  /** `--deidentify`: the machine sees de-identified DICOM; outputs are leak-checked and re-identified. */
  deidentify?: DeidRunSettings;
}

/** A finished run: its report and where its trees are (until cleaned up). */
export interface RunResult {
  report: RunReport;
  workDir: string;
  /** Removes the work folder (unless kept). */
  cleanup(): Promise<void>;
}
