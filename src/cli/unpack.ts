import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { loadMachine } from '../check/manifest.js';
import { BerthError } from '../errors.js';
import type { Side } from '../kinds/property.js';
import {
  WireDecodeError,
  decodeTree,
  isWireFormat,
  sniffWireFormat,
  wireFormatOfPath,
  type WireFormat,
  type WireLimits,
} from '../wire/case.js';
import { readDocumentFile, readDocumentStream } from '../wire/read-document.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';
import { parseBytes } from './run-options.js';

interface UnpackOptions {
  manifest: string;
  side: string;
  out: string;
  format?: string;
  json?: boolean;
  maxBytes?: string;
  maxEntries?: string;
  maxArrayItems?: string;
}

/**
 * `berth unpack <doc> --manifest M --side in|out --out DIR [--format json|msgpack] [--json]`: a
 * wire document (the README, "Wire formats"; `-` reads stdin) as a tree in DIR (absent or empty). The format
 * comes from `--format`, else the file extension, else the first byte. Every value is checked
 * against the schema before anything is written. Exit 0 when written, 1 when the document does not
 * fit the schema (each problem listed with its JSON pointer; nothing written), 2 when it could not
 * be used (unreadable, not JSON or msgpack at all, DIR not empty).
 */
export function registerUnpack(program: Command): void {
  program
    .command('unpack')
    .description('decode a JSON or msgpack wire document into an input or output tree')
    .argument('<doc>', 'the document file, or - for stdin')
    .requiredOption('--manifest <file>', 'machine.yaml, machine.json, a Dockerfile, or docker inspect JSON')
    .option('--side <side>', 'in (schema-in) or out (schema-out)', 'in')
    .requiredOption('--out <dir>', 'the tree to write (absent or empty)')
    .option('--format <format>', 'json or msgpack (default: from the extension, else the first byte)')
    .option('--json', 'print the result as JSON')
    .option('--max-bytes <size>', 'the largest document read (default 512MiB; stdin stops there)')
    .option('--max-entries <n>', 'tree entries the document may create (default 100000)')
    .option('--max-array-items <n>', 'items of one list in the document (default 20000)')
    .action(async (doc: string, opts: UnpackOptions) => {
      process.exitCode = await runUnpack(doc, opts);
    });
}

function count(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\s*[0-9]+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new BerthError(
      'BERTH_E_USAGE',
      `${flag} must be a positive whole number, not ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** The document limits the options give (the wire formats' defaults for the rest). */
function limitsOf(opts: UnpackOptions): WireLimits {
  const maxEntries = count(opts.maxEntries, '--max-entries');
  const maxArrayItems = count(opts.maxArrayItems, '--max-array-items');
  return {
    ...(opts.maxBytes === undefined ? {} : { maxBytes: parseBytes(opts.maxBytes) }),
    ...(maxEntries === undefined ? {} : { maxEntries }),
    ...(maxArrayItems === undefined ? {} : { maxArrayItems }),
  };
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const d of await readdir(dir, { withFileTypes: true, recursive: true })) if (d.isFile()) n++;
  return n;
}

async function runUnpack(doc: string, opts: UnpackOptions): Promise<number> {
  const json = opts.json === true;
  try {
    if (opts.side !== 'in' && opts.side !== 'out') {
      throw new BerthError('BERTH_E_USAGE', `--side must be in or out, not ${JSON.stringify(opts.side)}`);
    }
    if (opts.format !== undefined && !isWireFormat(opts.format)) {
      throw new BerthError(
        'BERTH_E_USAGE',
        `--format must be json or msgpack, not ${JSON.stringify(opts.format)}`,
      );
    }
    const side: Side = opts.side;
    const definition = await loadMachine(opts.manifest);
    const limits = limitsOf(opts);
    const body =
      doc === '-'
        ? await readDocumentStream(process.stdin, '-', limits.maxBytes)
        : await readDocumentFile(doc, limits.maxBytes);
    const format: WireFormat | undefined =
      (opts.format as WireFormat | undefined) ??
      (doc === '-' ? undefined : wireFormatOfPath(doc)) ??
      sniffWireFormat(body);
    if (format === undefined) {
      throw new BerthError('BERTH_E_WIRE_FORMAT', 'The document is neither a JSON object nor a msgpack map', {
        path: doc,
        expected: 'a document starting with { (JSON) or a msgpack map header; or give --format',
      });
    }
    const props = side === 'in' ? definition.inputs : definition.outputs;
    try {
      await decodeTree(format, props, body, opts.out, limits);
    } catch (e) {
      if (!(e instanceof WireDecodeError)) throw e;
      const findings = e.toFindings();
      if (json) {
        await writeOut(
          JSON.stringify({ ok: false, side, format, document: doc, tree: opts.out, findings }, null, 2) +
            '\n',
        );
      } else {
        const summary = `${doc}: ${findings.length} problem(s) with the ${format} document; nothing written`;
        await writeOut([...findings.map(formatFinding), summary].join('\n') + '\n');
      }
      return EXIT.findings;
    }
    const files = await countFiles(opts.out);
    if (json) {
      await writeOut(
        JSON.stringify(
          { ok: true, side, format, document: doc, tree: path.resolve(opts.out), files, findings: [] },
          null,
          2,
        ) + '\n',
      );
    } else {
      await writeOut(`${opts.out}: wrote ${files} file(s) for schema-${side} from the ${format} document\n`);
    }
    return EXIT.ok;
  } catch (e) {
    return reportError(e, json);
  }
}
