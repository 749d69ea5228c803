import type { Command } from 'commander';
import { checkManifest } from '../check/manifest.js';
import { loadManifestFile } from '../manifest/load.js';
import { locateManifest } from '../manifest/locate.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';

/** `berth check <manifest|Dockerfile|inspect.json>`: every finding of a manifest. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check a manifest (machine.yaml/.json, a Dockerfile with LABELs, or docker inspect JSON)')
    .argument(
      '<machine>',
      'a machine directory, or its manifest: machine.yaml, machine.json, a Dockerfile, or the JSON of docker/podman inspect',
    )
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      process.exitCode = await runCheck(file, opts.json === true);
    });
}

async function runCheck(file: string, json: boolean): Promise<number> {
  try {
    const manifest = await locateManifest(file);
    const result = checkManifest(await loadManifestFile(manifest));
    const errors = result.findings.filter((f) => f.severity === 'error').length;
    const warnings = result.findings.length - errors;
    const { definition: d } = result;
    if (json) {
      await writeOut(
        JSON.stringify(
          {
            ok: result.ok,
            path: manifest,
            format: d.source.format,
            name: d.settings.name,
            inputs: d.inputs.length,
            outputs: d.outputs.length,
            errors,
            warnings,
            findings: result.findings,
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      const lines = result.findings.map(formatFinding);
      const summary = result.ok
        ? `${manifest}: ok — ${d.settings.name || '(no name)'}, ${d.inputs.length} input(s), ${d.outputs.length} output(s)` +
          (warnings ? `, ${warnings} warning(s)` : '')
        : `${manifest}: ${errors} error(s), ${warnings} warning(s)`;
      await writeOut([...lines, summary].join('\n') + '\n');
    }
    return result.ok ? EXIT.ok : EXIT.findings;
  } catch (e) {
    return reportError(e, json);
  }
}
