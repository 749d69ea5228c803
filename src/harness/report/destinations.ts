/**
 * The places a run will write its results to (`--report FILE`, `berth test --report DIR`,
 * `--out DIR`), checked before anything runs: a wrong one is a usage error (exit 2) with nothing
 * launched and no run folder left, not a failure discovered after a long run.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../../errors.js';

/** The report formats by file name ending. */
export type ReportFormat = 'json' | 'html';

/** The format of a report file from its name, or undefined when it has no report extension. */
export function reportFormatOf(file: string): ReportFormat | undefined {
  const ext = path.extname(file);
  return ext === '.json' ? 'json' : ext === '.html' || ext === '.htm' ? 'html' : undefined;
}

async function kindOf(p: string): Promise<'file' | 'directory' | 'other' | 'missing'> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** The nearest existing ancestor of `p` must be a directory (else nothing can be created under it). */
async function checkParent(p: string, option: string): Promise<void> {
  let dir = path.dirname(path.resolve(p));
  for (;;) {
    const kind = await kindOf(dir);
    if (kind === 'directory') return;
    if (kind !== 'missing') {
      throw new BerthError('BERTH_E_USAGE', `${option} ${p} cannot be written: ${dir} is not a directory`, {
        path: p,
        expected: 'a path under a directory',
      });
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/**
 * Checks `--report` files: each ends in `.json`, `.html` or `.htm`, is not a directory, and lies
 * under a directory. @throws BerthError BERTH_E_USAGE naming the file and what was expected.
 */
export async function checkReportFiles(files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (file.endsWith('/') || file.endsWith(path.sep) || reportFormatOf(file) === undefined) {
      throw new BerthError('BERTH_E_USAGE', `--report ${JSON.stringify(file)} is not a report file name`, {
        expected: 'a file ending in .json or .html (e.g. --report run.json --report run.html)',
      });
    }
    const kind = await kindOf(file);
    if (kind === 'directory' || kind === 'other') {
      throw new BerthError('BERTH_E_USAGE', `--report ${file} exists and is not a file`, {
        path: file,
        expected: 'a new file, or a report file to overwrite',
      });
    }
    await checkParent(file, '--report');
  }
}

/** Checks a folder results go into (`berth test --report DIR`): a directory, or nothing yet. */
export async function checkResultDir(dir: string, option: string): Promise<void> {
  const kind = await kindOf(dir);
  if (kind !== 'directory' && kind !== 'missing') {
    throw new BerthError('BERTH_E_USAGE', `${option} ${dir} exists and is not a directory`, {
      path: dir,
      expected: 'a directory (created when absent)',
    });
  }
  await checkParent(dir, option);
}

/**
 * Checks `--out DIR`: absent or an empty directory, so a run never mixes its outputs with older
 * files nor replaces anything the user had there.
 */
export async function checkOutDir(dir: string): Promise<void> {
  await checkResultDir(dir, '--out');
  if ((await kindOf(dir)) === 'directory' && (await readdir(dir)).length > 0) {
    throw new BerthError('BERTH_E_USAGE', `--out ${dir} is not empty`, {
      path: dir,
      expected: 'a directory that does not exist yet, or an empty one',
    });
  }
}
