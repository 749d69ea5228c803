/** Where things are after a run: paths relative to the run folder, the `--out` copy. */
import path from 'node:path';
import { replaceTree } from '../compare/update.js';
import type { RunReport } from '../types.js';

/** `/tmp/berth-run-x/output/sr.dcm` → `output/sr.dcm`, in every path and message of the report. */
export function relativiseToRun(report: RunReport, workDir: string): void {
  const prefix = workDir.endsWith(path.sep) ? workDir : workDir + path.sep;
  const rel = (text: string) => text.split(prefix).join('');
  for (const f of [...report.inputFindings, ...report.outputFindings]) {
    f.message = rel(f.message);
    if (f.path !== undefined) f.path = f.path === workDir ? '.' : rel(f.path);
  }
  report.reason = rel(report.reason);
  if (report.stdout) report.stdout.file = rel(report.stdout.file);
  if (report.stderr) report.stderr.file = rel(report.stderr.file);
}

/** Copies the final output tree to `--out DIR`, recording where; a failure is a notice, not a lost report. */
export async function copyOutputs(report: RunReport, outputDir: string, outDir: string): Promise<void> {
  try {
    await replaceTree(outputDir, outDir);
    report.outputsCopiedTo = path.resolve(outDir);
  } catch (e) {
    report.notices.push(
      `--out: the outputs could not be copied to ${outDir}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
