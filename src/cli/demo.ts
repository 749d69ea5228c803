import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { checkManifest } from '../check/manifest.js';
import { toLayoutNode } from '../kinds/resolve.js';
import { loadManifestFile } from '../manifest/load.js';
import { renderLayout } from '../tree/layout.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';

/** The sample machine shipped in the repository. */
export const SAMPLE_MACHINE_DIR = fileURLToPath(new URL('../../sample-machine/', import.meta.url));

/** `berth demo`: the quickstart's main job on the embedded sample machine. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('check the sample machine and show its trees (the README quickstart)')
    .action(async () => {
      process.exitCode = await runDemo();
    });
}

async function runDemo(): Promise<number> {
  try {
    const file = path.join(SAMPLE_MACHINE_DIR, 'machine.yaml');
    const result = checkManifest(await loadManifestFile(file));
    const d = result.definition;
    const rel = path.relative(process.cwd(), file) || file;
    const out: string[] = [`== berth check ${rel}`];
    out.push(...result.findings.map(formatFinding));
    out.push(
      result.ok
        ? `ok — ${d.settings.name}: ${d.inputs.length} input(s), ${d.outputs.length} output(s), timeout ${d.settings.timeoutMinutes} min`
        : 'the sample manifest has errors',
    );
    if (result.ok) {
      out.push('', `== berth layout ${rel}`);
      out.push(renderLayout(d.inputs.map(toLayoutNode), '/envoyai/input'));
      out.push('');
      out.push(renderLayout(d.outputs.map(toLayoutNode), '/envoyai/output'));
    }
    await writeOut(out.join('\n') + '\n');
    return result.ok ? EXIT.ok : EXIT.findings;
  } catch (e) {
    return reportError(e, false);
  }
}
