import { readdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadMachine } from '../check/manifest.js';
import { BerthError } from '../errors.js';
import { synthTree } from '../harness/synth-tree.js';
import type { Side } from '../kinds/property.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';

/** The options of `berth synth`. */
interface SynthOptions {
  out: string;
  seed: string;
  side: string;
  set: string[];
  omitNullable?: boolean;
  separateStudies?: boolean;
  json?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `berth synth <manifest> --out DIR [--seed N] [--side in|out] [--set name=value]...
 * [--omit-nullable] [--separate-studies] [--json]`: a deterministic synthetic tree that satisfies
 * the schema, validated after writing. Exit 0 when the tree validates, 1 when it has findings, 2
 * when it could not be made (a `--set` the schema does not take included).
 */
export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('write a synthetic input (or output) tree that satisfies a manifest, then validate it')
    .argument('<manifest>', 'machine.yaml, machine.json, a Dockerfile, or docker inspect JSON')
    .requiredOption('--out <dir>', 'the directory to write (absent or empty)')
    .option('--seed <n>', 'seed of every random choice: the same seed gives the same bytes', '1')
    .option('--side <side>', 'in (schema-in) or out (schema-out)', 'in')
    .option(
      '--set <name=value>',
      "pin a value, read by its kind's text rule; name is the path in the tree (findings/0/label); repeatable",
      collect,
      [],
    )
    .option('--omit-nullable', 'leave out nullable properties')
    .option('--separate-studies', 'give each DICOM input its own patient and study (default: one shared)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: SynthOptions) => {
      process.exitCode = await runSynth(file, opts);
    });
}

async function runSynth(file: string, opts: SynthOptions): Promise<number> {
  const json = opts.json === true;
  try {
    if (opts.side !== 'in' && opts.side !== 'out') {
      throw new BerthError('BERTH_E_USAGE', `--side must be in or out, not ${JSON.stringify(opts.side)}`);
    }
    const existing = await readdir(opts.out).catch((e: { code?: string }) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    if (existing.length > 0) {
      throw new BerthError('BERTH_E_OUT_NOT_EMPTY', `${opts.out} holds ${existing.length} entries`, {
        path: opts.out,
        expected: 'an empty or absent directory',
      });
    }
    const definition = await loadMachine(file);
    const result = await synthTree(definition, opts.side as Side, opts.out, {
      seed: opts.seed,
      omitNullable: opts.omitNullable === true,
      separateStudies: opts.separateStudies === true,
      set: opts.set,
    });
    const errors = result.findings.filter((f) => f.severity === 'error').length;
    if (json) {
      await writeOut(
        JSON.stringify(
          {
            ok: errors === 0,
            side: result.side,
            tree: result.dir,
            seed: opts.seed,
            files: result.files,
            findings: result.findings,
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      const summary =
        `${result.dir}: wrote ${result.files.length} file(s) for schema-${result.side} (seed ${opts.seed})` +
        (errors === 0 ? '; valid' : `; ${errors} error(s)`);
      await writeOut([...result.findings.map(formatFinding), summary].join('\n') + '\n');
    }
    return errors === 0 ? EXIT.ok : EXIT.findings;
  } catch (e) {
    return reportError(e, json);
  }
}
