import type { Command } from 'commander';
import { diffMachines, type SchemaChange } from '../check/manifest-diff.js';
import { loadMachine } from '../check/manifest.js';
import { locateManifest } from '../manifest/locate.js';
import { EXIT, reportError, writeOut } from './output.js';

/** `berth diff <old> <new>`: the changes between two manifests, breaking or not. */
export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description(
      'compare two versions of a manifest and classify each change as breaking or compatible for a platform built for the old one',
    )
    .argument(
      '<old>',
      'the old machine: a directory, machine.yaml/.json, a Dockerfile or docker inspect JSON',
    )
    .argument('<new>', 'the new machine, in any of the same forms')
    .option('--json', 'print the list of changes as JSON')
    .action(async (oldArg: string, newArg: string, opts: { json?: boolean }) => {
      process.exitCode = await runDiff(oldArg, newArg, opts.json === true);
    });
}

/** The changes as a table for people: change, path, breaking, why. */
export function formatChanges(changes: readonly SchemaChange[]): string {
  const rows = changes.map((c) => [c.change, c.path, c.breaking ? 'yes' : 'no', c.why]);
  const head = ['change', 'path', 'breaking', 'why'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [head, ...rows].map(line).join('\n');
}

async function runDiff(oldArg: string, newArg: string, json: boolean): Promise<number> {
  try {
    const a = await loadMachine(await locateManifest(oldArg));
    const b = await loadMachine(await locateManifest(newArg));
    const changes = diffMachines(a, b);
    const breaking = changes.filter((c) => c.breaking).length;
    if (json) {
      await writeOut(JSON.stringify(changes, null, 2) + '\n');
    } else {
      const summary =
        changes.length === 0
          ? 'no changes'
          : `${changes.length} change(s), ${breaking} breaking` + (breaking === 0 ? ': compatible' : '');
      await writeOut((changes.length > 0 ? formatChanges(changes) + '\n' : '') + summary + '\n');
    }
    return breaking === 0 ? EXIT.ok : EXIT.findings;
  } catch (e) {
    return reportError(e, json);
  }
}
