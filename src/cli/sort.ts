import type { Command } from 'commander';
import { sortDicom, type SortAs } from '../dicom/sort.js';
import { EXIT, reportError, writeOut } from './output.js';

/**
 * `berth sort <dir> --out DIR [--as series|study] [--json]`: loose DICOM files into the reference
 * layout. Exit 0 when every file was copied, 1 when some were skipped, 2 when nothing was usable.
 */
export function registerSort(program: Command): void {
  program
    .command('sort')
    .description(
      'copy loose DICOM files into the EnvoyAI layout by their UIDs: <SOPInstanceUID>.dcm (series) or ' +
        '<SeriesInstanceUID>/<SOPInstanceUID>.dcm (study; several studies get one <StudyInstanceUID>/ folder each)',
    )
    .argument('<dir>', 'a folder of DICOM files, in any layout')
    .requiredOption('--out <dir>', 'the output folder (absent or empty, outside <dir>)')
    .option('--as <layout>', 'series (keeps the largest series) or study', 'study')
    .option('--json', 'print the report as JSON')
    .action(async (dir: string, opts: { out: string; as: string; json?: boolean }) => {
      process.exitCode = await runSort(dir, opts);
    });
}

async function runSort(dir: string, opts: { out: string; as: string; json?: boolean }): Promise<number> {
  const json = opts.json === true;
  try {
    if (opts.as !== 'series' && opts.as !== 'study') {
      process.stderr.write(
        `berth: BERTH_E_USAGE: --as must be series or study, not ${JSON.stringify(opts.as)}\n`,
      );
      return EXIT.unusable;
    }
    const report = await sortDicom(dir, opts.out, { as: opts.as as SortAs });
    const code = report.skipped.length > 0 ? EXIT.findings : EXIT.ok;
    if (json) {
      await writeOut(JSON.stringify({ ok: code === EXIT.ok, ...report }, null, 2) + '\n');
    } else {
      const lines = report.skipped.map(
        (s) => `skipped  ${s.reason}  ${s.path}${s.code ? `  ${s.code}` : ''}  ${s.message}`,
      );
      lines.push(
        `${report.out}: copied ${report.copied.length} instance(s) of ${report.series} series in ` +
          `${report.studies} study(ies) as ${report.layout}` +
          (report.skipped.length ? `; skipped ${report.skipped.length} file(s)` : ''),
      );
      await writeOut(lines.join('\n') + '\n');
    }
    return code;
  } catch (e) {
    return reportError(e, json);
  }
}
