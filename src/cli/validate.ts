import type { Command } from 'commander';
import { loadMachine } from '../check/manifest.js';
import { locateManifest } from '../manifest/locate.js';
import { checkTree } from '../check/tree.js';
import type { Side } from '../kinds/property.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';

/** `berth validate <manifest> --inputs DIR | --outputs DIR`: a tree against its schema. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate an input or output tree against a manifest')
    .argument(
      '<machine>',
      'a machine directory, or its manifest: machine.yaml, machine.json, a Dockerfile, or docker inspect JSON',
    )
    .option('--inputs <dir>', 'an input tree (laid out by schema-in)')
    .option('--outputs <dir>', 'an output tree (laid out by schema-out)')
    .option('--from-inputs <dir>', 'with --outputs: the input tree they were made from (DICOM UID rules)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: ValidateOptions) => {
      process.exitCode = await runValidate(file, opts);
    });
}

interface ValidateOptions {
  inputs?: string;
  outputs?: string;
  fromInputs?: string;
  json?: boolean;
}

async function runValidate(file: string, opts: ValidateOptions): Promise<number> {
  const json = opts.json === true;
  try {
    if ((opts.inputs === undefined) === (opts.outputs === undefined)) {
      process.stderr.write('berth: BERTH_E_USAGE: give exactly one of --inputs DIR or --outputs DIR\n');
      return EXIT.unusable;
    }
    const side: Side = opts.inputs !== undefined ? 'in' : 'out';
    const dir = (opts.inputs ?? opts.outputs)!;
    const definition = await loadMachine(await locateManifest(file));
    const from = side === 'out' ? opts.fromInputs : undefined;
    const findings = await checkTree(
      definition,
      side,
      dir,
      from === undefined ? {} : { inputs: { root: from, properties: definition.inputs } },
    );
    const errors = findings.filter((f) => f.severity === 'error').length;
    if (json) {
      await writeOut(
        JSON.stringify(
          { ok: errors === 0, side, tree: dir, errors, warnings: findings.length - errors, findings },
          null,
          2,
        ) + '\n',
      );
    } else {
      const summary =
        errors === 0 ? `${dir}: ok` : `${dir}: ${errors} error(s), ${findings.length - errors} warning(s)`;
      await writeOut([...findings.map(formatFinding), summary].join('\n') + '\n');
    }
    return errors === 0 ? EXIT.ok : EXIT.findings;
  } catch (e) {
    return reportError(e, json);
  }
}
