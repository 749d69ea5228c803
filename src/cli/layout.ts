import type { Command } from 'commander';
import { checkManifest } from '../check/manifest.js';
import { toLayoutNode } from '../kinds/resolve.js';
import { loadManifestFile } from '../manifest/load.js';
import { locateManifest } from '../manifest/locate.js';
import { layoutEntries, renderLayout } from '../tree/layout.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';

const ROOTS = { in: '/envoyai/input', out: '/envoyai/output' } as const;

/** `berth layout <manifest> [--side in|out]`: the tree a machine reads or writes. */
export function registerLayout(program: Command): void {
  program
    .command('layout')
    .description('print the input and output trees a manifest describes')
    .argument(
      '<machine>',
      'a machine directory, or its manifest: machine.yaml, machine.json, a Dockerfile, or docker inspect JSON',
    )
    .option('--side <side>', 'in, out or both', 'both')
    .option('--json', 'print the entries as JSON')
    .action(async (file: string, opts: { side: string; json?: boolean }) => {
      process.exitCode = await runLayout(file, opts.side, opts.json === true);
    });
}

async function runLayout(file: string, side: string, json: boolean): Promise<number> {
  try {
    if (!['in', 'out', 'both'].includes(side)) {
      process.stderr.write(
        `berth: BERTH_E_USAGE: --side must be in, out or both, not ${JSON.stringify(side)}\n`,
      );
      return EXIT.unusable;
    }
    const result = checkManifest(await loadManifestFile(await locateManifest(file)));
    if (!result.ok) {
      process.stderr.write(result.findings.map(formatFinding).join('\n') + '\n');
      return EXIT.findings;
    }
    const sides = (side === 'both' ? ['in', 'out'] : [side]) as ('in' | 'out')[];
    const d = result.definition;
    const nodesOf = (s: 'in' | 'out') => (s === 'in' ? d.inputs : d.outputs).map(toLayoutNode);
    if (json) {
      const out = Object.fromEntries(
        sides.map((s) => [s, { root: ROOTS[s], entries: layoutEntries(nodesOf(s)) }]),
      );
      await writeOut(JSON.stringify(out, null, 2) + '\n');
    } else {
      await writeOut(sides.map((s) => renderLayout(nodesOf(s), ROOTS[s])).join('\n\n') + '\n');
    }
    return EXIT.ok;
  } catch (e) {
    return reportError(e, json);
  }
}
