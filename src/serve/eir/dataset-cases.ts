/**
 * Finding the cases of an EIR dataset folder and checking each against the manifest (the start of
 * `berth stream`); the small helpers the rest of the dataset shares (code point order, bounded
 * concurrency, presence of an entry).
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { MachineDefinition } from '../../check/manifest.js';
import { checkTree } from '../../check/tree.js';
import { finding, type Finding } from '../../errors.js';
import type { Side } from '../../kinds/property.js';
import { checkSampleIds } from './protocol-checks.js';

/** The names a case's output tree may have, in the order they are looked for. */
export const CASE_OUTPUT_DIRS = ['expected', 'output'] as const;

/** One case of the dataset. */
export interface CaseEntry {
  /** The sample id: the case directory's name. */
  readonly id: string;
  readonly dir: string;
  readonly inputDir: string;
  /** `expected/` or `output/`. */
  readonly outputDir: string;
}

async function isDirectory(p: string, dirent?: Dirent): Promise<boolean> {
  if (dirent && !dirent.isSymbolicLink()) return dirent.isDirectory();
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The case directories of a dataset, sorted by name. Entries that are not directories (a README,
 * the manifest) and hidden ones (`.git`) are not cases. A case needs `input/` and exactly one of
 * `expected/` and `output/`.
 */
export async function findCases(datasetDir: string, findings: Finding[]): Promise<CaseEntry[]> {
  const root = path.resolve(datasetDir);
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    findings.push(
      finding(
        'BERTH_E_EIR_DATASET',
        code === 'ENOENT'
          ? 'The dataset folder does not exist'
          : `The dataset folder cannot be listed (${code ?? 'error'})`,
        { path: root, expected: 'a directory of case directories' },
      ),
    );
    return [];
  }
  const cases: CaseEntry[] = [];
  const names = entries.filter((d) => !d.name.startsWith('.')).sort((a, b) => cmp(a.name, b.name));
  for (const d of names) {
    const dir = path.join(root, d.name);
    if (!(await isDirectory(dir, d))) continue;
    const inputDir = path.join(dir, 'input');
    const outs: string[] = [];
    for (const name of CASE_OUTPUT_DIRS)
      if (await isDirectory(path.join(dir, name))) outs.push(path.join(dir, name));
    const hasInput = await isDirectory(inputDir);
    if (!hasInput || outs.length !== 1) {
      const missing = [
        ...(hasInput ? [] : ['input/']),
        ...(outs.length === 0 ? ['expected/ (or output/)'] : []),
      ];
      findings.push(
        finding(
          'BERTH_E_EIR_CASE',
          outs.length > 1
            ? `Case ${d.name} has both expected/ and output/; EIR would get one of them by chance`
            : `Case ${d.name} has no ${missing.join(' and no ')}`,
          { path: dir, expected: 'input/ and one of expected/ or output/' },
        ),
      );
      continue;
    }
    cases.push({ id: d.name, dir, inputDir, outputDir: outs[0]! });
  }
  for (const problem of checkSampleIds(cases.map((c) => c.id))) {
    findings.push(finding('BERTH_E_EIR_CASE', `Case name: ${problem}`, { path: root }));
  }
  if (cases.length === 0 && !findings.some((f) => f.code === 'BERTH_E_EIR_DATASET')) {
    findings.push(
      finding('BERTH_E_EIR_DATASET', 'The dataset folder holds no case', {
        path: root,
        expected: 'directories <case>/input/ with <case>/expected/ or <case>/output/',
      }),
    );
  }
  return cases;
}

/** Code point order: the same on every machine and locale. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Both trees of a case against the manifest (DICOM properties too, although they are not streamed). */
export async function checkCase(definition: MachineDefinition, c: CaseEntry): Promise<Finding[]> {
  const [inFindings, outFindings] = await Promise.all([
    checkTree(definition, 'in', c.inputDir, { concurrency: 16 }),
    checkTree(definition, 'out', c.outputDir, {
      inputs: { root: c.inputDir, properties: definition.inputs },
      concurrency: 16,
    }),
  ]);
  return [...inFindings, ...outFindings];
}

/** Does the entry exist (without following a final symlink)? */
export async function present(abs: string): Promise<boolean> {
  try {
    await lstat(abs);
    return true;
  } catch {
    return false;
  }
}

export function treeOf(c: CaseEntry, side: Side): string {
  return side === 'in' ? c.inputDir : c.outputDir;
}
