import type { Command } from 'commander';
import { checkMap } from '../dicom/deid/map.js';
import { reidentifyFolder } from '../dicom/deid/folder.js';
import { BerthError } from '../errors.js';
import { readTextFile } from '../tree/read-text.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';

interface ReidCliOptions {
  map: string;
  out: string;
  leakCheck: boolean;
  json?: boolean;
}

/** Largest map read (default 256 MiB). */
const MAX_MAP_BYTES = 256 * 1024 * 1024;

/**
 * `berth reid <outputs> --map MAP --out DIR`: re-identifies a machine's DICOM outputs with the map
 * `berth deid` wrote (other files are copied), after a leak check of every file. Exit 0 clean,
 * 1 leaks or skipped files, 2 unusable.
 */
export function registerReid(program: Command): void {
  program
    .command('reid')
    .description('re-identify DICOM outputs with the map berth deid wrote, after a leak check')
    .argument('<outputs>', "a machine's output folder (or one file)")
    .requiredOption('--map <file>', 'the map berth deid wrote')
    .requiredOption('--out <dir>', 'the output folder')
    .option('--no-leak-check', 'skip the BERTH_E_PHI_LEAK scan')
    .option('--json', 'print the report as JSON')
    .action(async (outputs: string, opts: ReidCliOptions) => {
      process.exitCode = await runReid(outputs, opts);
    });
}

async function runReid(outputs: string, opts: ReidCliOptions): Promise<number> {
  const json = opts.json === true;
  try {
    let doc: unknown;
    try {
      doc = JSON.parse(await readTextFile(opts.map, MAX_MAP_BYTES));
    } catch (e) {
      if (e instanceof SyntaxError)
        throw new BerthError('BERTH_E_DEID_MAP', 'The map is not JSON', { path: opts.map });
      throw e;
    }
    const map = checkMap(doc, opts.map);
    const report = await reidentifyFolder(outputs, opts.out, map, { leakCheck: opts.leakCheck });
    const code = report.leaks.length > 0 || report.skipped.length > 0 ? EXIT.findings : EXIT.ok;
    if (json) {
      await writeOut(JSON.stringify({ ok: code === EXIT.ok, ...report }, null, 2) + '\n');
    } else {
      const lines = report.leaks.map(formatFinding);
      lines.push(
        ...report.skipped.map((s) => `skipped  ${s.reason}  ${s.path}${s.code ? `  ${s.code}` : ''}`),
      );
      lines.push(
        `${opts.out}: re-identified ${report.written.length} DICOM file(s), copied ${report.copied.length} other(s)` +
          (report.leaks.length ? `; ${report.leaks.length} leak(s)` : ''),
      );
      await writeOut(lines.join('\n') + '\n');
    }
    return code;
  } catch (e) {
    return reportError(e, json);
  }
}
