import type { Command } from 'commander';
import { loadMachine } from '../check/manifest.js';
import { checkTree } from '../check/tree.js';
import { BerthError } from '../errors.js';
import type { Side } from '../kinds/property.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { encodeTree, isWireFormat, type WireFormat } from '../wire/case.js';
import { EXIT, formatFinding, reportError } from './output.js';

interface PackOptions {
  manifest: string;
  side: string;
  format: string;
  out?: string;
  check: boolean;
}

/**
 * `berth pack <tree> --manifest M --side in|out --format json|msgpack [--out FILE] [--no-check]`:
 * one side's tree as a wire document (the README, "Wire formats"), on stdout or in FILE. The tree is validated
 * first (`berth validate`'s checks): its findings go to stderr and nothing is written. Exit 0 when
 * packed, 1 when the tree has findings, 2 when it could not be packed.
 */
export function registerPack(program: Command): void {
  program
    .command('pack')
    .description('encode an input or output tree as a JSON or msgpack wire document')
    .argument('<tree>', 'the tree directory (laid out by schema-in or schema-out)')
    .requiredOption('--manifest <file>', 'machine.yaml, machine.json, a Dockerfile, or docker inspect JSON')
    .option('--side <side>', 'in (schema-in) or out (schema-out)', 'in')
    .option('--format <format>', 'json or msgpack', 'json')
    .option('--out <file>', 'write the document here (default: stdout; msgpack only to a pipe or file)')
    .option('--no-check', 'skip validating the tree first (the readers still refuse bad values)')
    .action(async (tree: string, opts: PackOptions) => {
      process.exitCode = await runPack(tree, opts);
    });
}

async function runPack(tree: string, opts: PackOptions): Promise<number> {
  try {
    if (opts.side !== 'in' && opts.side !== 'out') {
      throw new BerthError('BERTH_E_USAGE', `--side must be in or out, not ${JSON.stringify(opts.side)}`);
    }
    if (!isWireFormat(opts.format)) {
      throw new BerthError(
        'BERTH_E_USAGE',
        `--format must be json or msgpack, not ${JSON.stringify(opts.format)}`,
      );
    }
    const side: Side = opts.side;
    const format: WireFormat = opts.format;
    // Refuse before any work: binary on a terminal garbles it and helps nobody.
    if (opts.out === undefined && format === 'msgpack' && process.stdout.isTTY) {
      throw new BerthError('BERTH_E_USAGE', 'msgpack is binary: give --out FILE or pipe stdout', {
        expected: '--out FILE, or stdout redirected to a file or pipe',
      });
    }
    const definition = await loadMachine(opts.manifest);
    if (opts.check) {
      const findings = await checkTree(definition, side, tree);
      const errors = findings.filter((f) => f.severity === 'error');
      if (errors.length > 0) {
        process.stderr.write(
          [...findings.map(formatFinding), `${tree}: ${errors.length} error(s); not packed`].join('\n') +
            '\n',
        );
        return EXIT.findings;
      }
    }
    const props = side === 'in' ? definition.inputs : definition.outputs;
    const bytes = await encodeTree(format, props, tree);
    if (opts.out !== undefined) await writeFileAtomic(opts.out, bytes);
    else await writeStdout(format === 'json' ? Buffer.concat([bytes, Buffer.from('\n')]) : bytes);
    return EXIT.ok;
  } catch (e) {
    return reportError(e, false);
  }
}

/** Writes bytes to stdout and resolves when they are handed on (so the exit code never cuts them). */
function writeStdout(bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (e) => (e ? reject(e) : resolve()));
  });
}
