import type { Command } from 'commander';
import { checkManifest } from '../check/manifest.js';
import { generateTypes } from '../kinds/typescript.js';
import { loadManifestFile } from '../manifest/load.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { VERSION } from '../version.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';

/** `berth types <manifest> [--out FILE]`: TypeScript types of a machine's inputs and outputs. */
export function registerTypes(program: Command): void {
  program
    .command('types')
    .description('print TypeScript types of the inputs and outputs, for openMachine<Inputs, Outputs>()')
    .argument('<manifest>', 'machine.yaml, machine.json, a Dockerfile, or docker inspect JSON')
    .option('--out <file>', 'write the module to FILE (atomically) instead of printing it')
    .action(async (file: string, opts: { out?: string }) => {
      process.exitCode = await runTypes(file, opts.out);
    });
}

async function runTypes(file: string, out: string | undefined): Promise<number> {
  try {
    const result = checkManifest(await loadManifestFile(file));
    if (result.findings.length > 0) {
      process.stderr.write(result.findings.map(formatFinding).join('\n') + '\n');
    }
    if (!result.ok) return EXIT.findings;
    const text = generateTypes(result.definition, { source: file, version: VERSION });
    if (out === undefined) await writeOut(text);
    else await writeFileAtomic(out, text);
    return EXIT.ok;
  } catch (e) {
    return reportError(e, false);
  }
}
