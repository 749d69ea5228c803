/**
 * The report stage of `berth run` and `berth test`: the JSON and HTML report files asked for,
 * written while the run's trees still exist (the HTML report shows them).
 */
import path from 'node:path';
import type { MachineDefinition } from '../../check/manifest.js';
import { BerthError } from '../../errors.js';
import { writeFileAtomic } from '../../tree/atomic.js';
import type { CaseSpec } from '../case.js';
import { renderHtmlReport } from '../report/html.js';
import { writeJsonReport } from '../report/json.js';
import type { RunResult } from './options.js';

/** The JSON and HTML report files requested, written while the run's trees still exist. */
export async function writeReports(
  result: RunResult,
  spec: CaseSpec,
  definition: MachineDefinition,
  files: readonly string[] = [],
  reportPaths?: { json?: string; html?: string },
): Promise<void> {
  const json = files.find((f) => f.endsWith('.json'));
  const htmlFile = files.find((f) => f.endsWith('.html') || f.endsWith('.htm'));
  const reports = reportPaths ?? {
    ...(json ? { json } : {}),
    ...(htmlFile ? { html: htmlFile } : {}),
  };
  let page: string | undefined;
  for (const file of files) {
    if (file.endsWith('.json')) await writeJsonReport(result.report, file);
    else if (file.endsWith('.html') || file.endsWith('.htm')) {
      const expected = spec.expectedOutputs ? path.join(result.workDir, 'expected') : spec.expectedDir;
      page ??= await renderHtmlReport(result.report, {
        input: path.join(result.workDir, 'input'),
        output: path.join(result.workDir, 'output'),
        ...(expected ? { expected } : {}),
        definition,
        assetsDir: path.join(result.workDir, 'assets'),
        reports,
      });
      await writeFileAtomic(file, page);
    } else {
      throw new BerthError('BERTH_E_USAGE', `A report is a .json or .html file, not ${file}`, {
        expected: 'run.json or run.html',
      });
    }
  }
}
