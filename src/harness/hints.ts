/**
 * Hints after a failed run, for the two platform rules a machine most often trips over outside
 * the platform: the fixed `/envoyai/...` paths (only the sandbox and container drivers have them)
 * and the read-only input tree (`--writable-input` gives a private writable copy). Read from the
 * machine's stderr tail: a hint, never an outcome.
 */
import { finding, type Finding } from '../errors.js';
import { INSIDE } from './drivers/inside.js';
import type { RunReport } from './types.js';

/** What the run's stderr says that a hint can answer, given the driver used: notices. */
export function failureHints(report: RunReport): string[] {
  if (report.outcome !== 'machine-error') return [];
  if (
    report.driver === 'process' &&
    /\/envoyai\/(input|output|status|machine\.yaml)/.test(failureText(report))
  ) {
    return [
      "the machine uses the platform's fixed /envoyai/... paths, which only the sandbox and container drivers provide: run it with --driver sandbox",
    ];
  }
  return [];
}

/**
 * A BERTH_E_INPUT_READ_ONLY warning when a failed machine's stderr shows a refused write under its
 * input tree (and it had no writable copy).
 */
export function readOnlyInputFinding(report: RunReport, options: { writableInput?: boolean }): Finding[] {
  if (report.outcome !== 'machine-error' || options.writableInput) return [];
  const text = failureText(report);
  const input = [INSIDE.input, report.trees?.input].filter((p): p is string => p !== undefined);
  const refused = /Read-only file system|EROFS|Permission denied|EACCES/i.test(text);
  if (!refused || !input.some((p) => text.includes(p))) return [];
  return [
    finding(
      'BERTH_E_INPUT_READ_ONLY',
      'The machine failed writing into its input tree, which is read-only as on the platform: write to the output tree, or rerun with --writable-input for a private writable copy',
      {
        severity: 'warning',
        path: INSIDE.input,
        expected: 'writes to the output tree, or a run with --writable-input',
      },
    ),
  ];
}

function failureText(report: RunReport): string {
  return [report.stderr?.tail ?? '', report.status.error ?? ''].join('\n');
}
