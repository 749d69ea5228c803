/** Fixtures of the sort tests (shared with test/cli/sort.test.ts). */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeStudy, type WrittenStudy } from '../../src/dicom/synth.js';
import { writeBrokenCorpus } from './broken-corpus.js';
import { TS } from '../../src/dicom/transfer-syntax.js';

/** Every file under `root`, relative, sorted. */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isDirectory()) await walk(p);
      else out.push(relative(root, p));
    }
  };
  await walk(root);
  return out.sort();
}

/**
 * A messy folder: two studies (3 + 1 series, mixed syntaxes) scattered over nested folders under
 * meaningless names, one duplicate, the broken corpus and junk. Returns the studies written.
 */
export async function writeMessyFolder(
  root: string,
): Promise<{ studies: WrittenStudy[]; broken: number; strays: number }> {
  const staging = join(root, '..', `${relative(join(root, '..'), root)}-staging`);
  const a = await writeStudy(join(staging, 'a'), {
    seed: 'sortA',
    series: ['CT', 'CT', 'MR'],
    instances: 3,
    rows: 16,
    columns: 16,
    transferSyntaxUid: TS.ImplicitVRLittleEndian,
  });
  const b = await writeStudy(join(staging, 'b'), {
    seed: 'sortB',
    studyIndex: 1,
    series: 1,
    instances: 2,
    rows: 16,
    columns: 16,
    transferSyntaxUid: TS.ExplicitVRBigEndian,
  });
  const files = [...a.series, ...b.series].flatMap((s) => s.files.map((f) => f.path));
  // Shuffle deterministically into nested folders with anonymous names.
  for (const [i, f] of files.entries()) {
    const dir = join(root, `d${(i * 7) % 3}`, i % 2 ? `x${i % 4}` : '');
    await mkdir(dir, { recursive: true });
    await copyFile(f, join(dir, `IMG${String((i * 11) % 97).padStart(4, '0')}`));
  }
  await copyFile(files[0]!, join(root, 'duplicate-of-first'));
  const corpus = await writeBrokenCorpus(join(root, 'junk'), 'sort');
  await writeFile(join(root, 'notes.txt'), 'scanned on Tuesday\n');
  return {
    studies: [a, b],
    broken: corpus.filter((c) => !c.stray).length,
    strays: corpus.filter((c) => c.stray).length + 1,
  };
}
