/**
 * Where a batch's cases come from: a folder of case folders and case files, or a list file of
 * paths (one a line, relative to the list). Each case gets an id — its folder or file name without
 * the case-file extension — which names its folder under `--out`, so an id must be one safe path
 * segment (the rules of tree/safe-path), must not start with a dot (berth's own names there do)
 * nor be the batch report's name, and must be unique in the batch.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { readTextFile } from '../tree/read-text.js';
import { segmentProblem } from '../tree/safe-path.js';
import { BATCH_FILES } from './job.js';

/** One case of a batch: its id (the name of its output folder) and where it is. */
export interface CaseRef {
  id: string;
  path: string;
}

/** The most cases one batch takes (a list file past it is refused, not truncated). */
export const MAX_BATCH_CASES = 1_000_000;

/** The most bytes of a list file. */
export const MAX_LIST_BYTES = 64 * 1024 * 1024;

const CASE_FILE = /\.(ya?ml|json)$/i;

/** The id of a case at `casePath`: its name, without `.yaml`/`.yml`/`.json` for a case file. */
export function caseIdOf(casePath: string, isFile: boolean): string {
  const name = path.basename(casePath);
  return isFile ? name.replace(CASE_FILE, '') : name;
}

/** Why `id` cannot name a case's folder, or undefined when it can. */
export function caseIdProblem(id: string): string | undefined {
  if (id.startsWith('.')) return 'starts with a dot';
  if ((Object.values(BATCH_FILES) as string[]).includes(id)) return "is the name of the batch report's file";
  return segmentProblem(id);
}

function casesError(message: string, where: string, expected: string): BerthError {
  return new BerthError('BERTH_E_BATCH_CASES', message, { path: where, expected });
}

/** Lists the cases of `--cases`: a folder (sorted by name) or a list file (in its order). */
export async function listCases(source: string): Promise<CaseRef[]> {
  const abs = path.resolve(source);
  const info = await stat(abs).catch(() => undefined);
  if (!info) throw casesError(`${abs} does not exist`, abs, 'a folder of cases or a list file');
  const refs = info.isDirectory() ? await casesInFolder(abs) : await casesInList(abs);
  if (refs.length === 0) throw casesError(`${abs} names no case`, abs, 'at least one case');
  const seen = new Map<string, string>();
  for (const ref of refs) {
    const problem = caseIdProblem(ref.id);
    if (problem) {
      throw casesError(`The case id ${JSON.stringify(ref.id)} ${problem}`, ref.path, 'a safe file name');
    }
    const other = seen.get(ref.id);
    if (other !== undefined) {
      throw casesError(
        `Two cases have the id ${JSON.stringify(ref.id)}: ${other} and ${ref.path}`,
        ref.path,
        'case names that are unique in the batch',
      );
    }
    seen.set(ref.id, ref.path);
  }
  return refs;
}

/** Case folders and case files of a folder; hidden entries are skipped. */
async function casesInFolder(dir: string): Promise<CaseRef[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.length > MAX_BATCH_CASES) {
    throw casesError(`${dir} holds more than ${MAX_BATCH_CASES} entries`, dir, 'fewer cases per batch');
  }
  return entries
    .filter((d) => !d.name.startsWith('.') && (d.isDirectory() || (d.isFile() && CASE_FILE.test(d.name))))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((d) => ({ id: caseIdOf(d.name, d.isFile()), path: path.join(dir, d.name) }));
}

/** The paths of a list file: one a line, relative to the list's folder; blank and `#` lines skipped. */
async function casesInList(file: string): Promise<CaseRef[]> {
  const text = await readTextFile(file, MAX_LIST_BYTES);
  const base = path.dirname(file);
  const refs: CaseRef[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (refs.length >= MAX_BATCH_CASES) {
      throw casesError(`${file} lists more than ${MAX_BATCH_CASES} cases`, file, 'fewer cases per batch');
    }
    const p = path.resolve(base, line);
    const info = await stat(p).catch(() => undefined);
    if (!info) throw casesError(`The listed case ${line} does not exist`, p, 'a case folder or case file');
    refs.push({ id: caseIdOf(p, info.isFile()), path: p });
  }
  return refs;
}
