/** The `baseline` section of the batch report (`berth batch --baseline`, batch/baseline.ts). */

/** One output property of a case that differs from the baseline's beyond tolerance. */
export interface BaselineDifference {
  /** The schema path (`schema-out/summary`) and the concrete output path (`measurements/2/area`). */
  property: string;
  path: string;
  method: string;
  message: string;
}

/** The `baseline` section of the batch report. */
export interface BaselineReport {
  /** The baseline as given: a manifest path or an image. */
  machine: string;
  driver: string;
  image?: string;
  /** The baseline batch's own report, relative to this one. */
  report: string;
  /** Cases whose outputs were compared (both runs wrote outputs). */
  compared: number;
  /** Cases that could not be compared, and why. */
  notCompared: { id: string; reason: string }[];
  /** Cases whose outputs changed beyond tolerance, each with every property that changed. */
  changed: { id: string; differences: BaselineDifference[] }[];
}
