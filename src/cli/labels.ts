import type { Command } from 'commander';
import { checkManifest } from '../check/manifest.js';
import { emitLabels } from '../manifest/labels-emit.js';
import { loadManifestFile } from '../manifest/load.js';
import { locateManifest } from '../manifest/locate.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';

/** `berth labels <manifest>`: the Dockerfile LABEL lines of a manifest. */
export function registerLabels(program: Command): void {
  program
    .command('labels')
    .description('print the Dockerfile LABEL lines for a manifest (they load back to the same manifest)')
    .argument(
      '<machine>',
      'a machine directory, or its manifest: machine.yaml, machine.json, a Dockerfile, or docker inspect JSON',
    )
    .action(async (file: string) => {
      process.exitCode = await runLabels(file);
    });
}

async function runLabels(file: string): Promise<number> {
  try {
    const result = checkManifest(await loadManifestFile(await locateManifest(file)));
    if (!result.ok) {
      process.stderr.write(result.findings.map(formatFinding).join('\n') + '\n');
      return EXIT.findings;
    }
    await writeOut(emitLabels(result.definition.source.document));
    return EXIT.ok;
  } catch (e) {
    return reportError(e, false);
  }
}
