/**
 * `--update`: make the actual output tree the new expected tree.
 *
 * The copy is built beside expected/ under a temporary name, then swapped in by renames: the old
 * expected/ is renamed aside, the copy renamed into place, the old one removed. A failure while
 * copying leaves expected/ untouched and removes the copy; a crash between the two renames leaves
 * the complete old tree beside it (`.berth-old-…`), never a half-written expected/.
 */
import { mkdir, readdir, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, toBerthError } from '../../errors.js';
import { isAtomicTempName, siblingTempPath } from '../../tree/atomic.js';
import { classifyEntry } from '../../tree/entry.js';
import { copyRegularFile } from '../../tree/open-regular.js';
import type { MachineDefinition } from '../../check/manifest.js';
import type { CaseSpec } from '../case.js';
import { assertInlineUpdatable, updateInlineOutputs } from './update-inline.js';

/** The name prefix of an expected tree set aside during an update. */
export const OLD_TREE_PREFIX = '.berth-old-';

/**
 * Copies a tree: regular files and directories; symlinks whose target stays inside the tree are
 * copied as what they point to. berth's own temporary files (remains of a killed write) are left
 * out. Anything else (a link out of the tree, a FIFO) is refused.
 */
async function copyTree(from: string, to: string, realRoot: string): Promise<void> {
  await mkdir(to);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (isAtomicTempName(entry.name)) continue;
    const src = path.join(from, entry.name);
    const info = await classifyEntry(src, realRoot, entry);
    if (info.kind === 'file') await copyRegularFile(info.real ?? src, path.join(to, entry.name));
    else if (info.kind === 'directory') await copyTree(info.real ?? src, path.join(to, entry.name), realRoot);
    else {
      throw new BerthError(
        info.kind === 'special'
          ? 'BERTH_E_TREE_SPECIAL'
          : info.kind === 'symlink-outside'
            ? 'BERTH_E_TREE_SYMLINK'
            : 'BERTH_E_TREE_UNREADABLE',
        `The output entry cannot be copied (${info.kind}${info.reason ? `: ${info.reason}` : ''})`,
        { path: src },
      );
    }
  }
}

/**
 * Replaces `expectedDir` with a copy of the output tree `actualDir` (created when absent).
 * @throws BerthError BERTH_E_NOT_FOUND when `actualDir` does not exist; BERTH_E_TREE_SYMLINK or
 * BERTH_E_TREE_SPECIAL for entries that cannot be copied (expected/ is then left as it was);
 * BERTH_E_IO for file system failures.
 */
export async function updateExpected(actualDir: string, expectedDir: string): Promise<void> {
  await replaceTree(actualDir, expectedDir);
}

/**
 * Replaces the tree `target` with a copy of `source` (created when absent), with the guarantees
 * of {@link updateExpected}; also `berth run --out DIR`.
 */
export async function replaceTree(actualDir: string, expectedDir: string): Promise<void> {
  let realRoot: string;
  try {
    realRoot = await realpath(actualDir);
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path: actualDir });
  }
  const target = path.resolve(expectedDir);
  const temp = siblingTempPath(target);
  try {
    await mkdir(path.dirname(target), { recursive: true });
    await copyTree(realRoot, temp, realRoot);
  } catch (e) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw toBerthError(e, 'BERTH_E_IO', { path: expectedDir });
  }
  const old = siblingTempPath(target, OLD_TREE_PREFIX);
  let setAside = false;
  try {
    try {
      await rename(target, old);
      setAside = true;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
    }
    await rename(temp, target);
  } catch (e) {
    // Put the old tree back where it was, and drop the copy.
    if (setAside) await rename(old, target).catch(() => undefined);
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw toBerthError(e, 'BERTH_E_IO', { path: expectedDir });
  }
  if (setAside) await rm(old, { recursive: true, force: true });
}

/**
 * Refuses `--update` of a case before anything runs when its inline `expected.outputs` cannot be
 * rewritten (see ./update-inline.ts), by `berth run` and `berth test` alike.
 * @throws BerthError BERTH_E_USAGE naming the outputs and the way out.
 */
export function assertUpdatable(spec: CaseSpec, definition: MachineDefinition): void {
  assertInlineUpdatable(spec, definition);
}

/**
 * `--update` after a run with valid outputs: the case's inline `expected.outputs` are rewritten in
 * its case file, and its expected tree (`outputs-dir`, else `expected/` beside the case unless the
 * case lists its outputs inline only) replaced by the output tree. Returns the notice to report.
 */
export async function applyUpdate(
  spec: CaseSpec,
  definition: MachineDefinition,
  outputDir: string,
): Promise<string> {
  const done: string[] = [];
  if (spec.expectedOutputs) {
    const names = await updateInlineOutputs(spec, definition, outputDir);
    done.push(`${names.length} inline value(s) in ${spec.file} (${names.join(', ')})`);
  }
  if (spec.expectedDir || !spec.expectedOutputs) {
    const target = spec.expectedDir ?? path.join(spec.baseDir, 'expected');
    await updateExpected(outputDir, target);
    done.push(`the tree ${target}`);
  }
  return `expected outputs updated: ${done.join(' and ')}`;
}
