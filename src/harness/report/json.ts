/**
 * The JSON run report (`--report run.json`): the {@link RunReport} as written, described by
 * `schemas/report.schema.json`. Written atomically, so a reader polling for it never sees a part.
 */
import { writeFileAtomic } from '../../tree/atomic.js';
import type { RunReport } from '../types.js';

/** The report as JSON text: two-space indented, ending with a newline (diff-friendly). */
export function reportToJson(report: RunReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/**
 * Writes the report to `file` atomically (temp file + rename), creating parent directories.
 * @throws {@link BerthError} BERTH_E_IO when the file cannot be written.
 */
export async function writeJsonReport(report: RunReport, file: string): Promise<void> {
  await writeFileAtomic(file, reportToJson(report));
}
