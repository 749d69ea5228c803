/**
 * Hints after a failed run, for the two platform rules a machine most often trips over outside
 * the platform: the fixed `/envoyai/...` paths (only the sandbox and container drivers have them)
 * and the read-only input tree (`--writable-input` gives a private writable copy). Read from the
 * machine's stderr tail: a hint, never an outcome.
 */
import { INSIDE } from './drivers/inside.js';
import type { RunReport } from './types.js';

/** What the run's stderr says that a hint can answer, given the driver and options used. */
export function failureHints(report: RunReport, options: { writableInput?: boolean }): string[] {
  if (report.outcome !== 'machine-error') return [];
  const text = [report.stderr?.tail ?? '', report.status.error ?? ''].join('\n');
  const hints: string[] = [];
  if (report.driver === 'process' && /\/envoyai\/(input|output|status|machine\.yaml)/.test(text)) {
    hints.push(
      "the machine uses the platform's fixed /envoyai/... paths, which only the sandbox and container drivers provide: run it with --driver sandbox",
    );
  }
  const input = [INSIDE.input, report.trees?.input].filter((p): p is string => p !== undefined);
  const writing = /Read-only file system|EROFS|Permission denied|EACCES/i.test(text);
  if (!options.writableInput && writing && input.some((p) => text.includes(p))) {
    hints.push(
      'the machine failed writing into its input tree, which is read-only as on the platform: ' +
        'write to the output tree, or give it a private writable copy with --writable-input',
    );
  }
  return hints;
}
