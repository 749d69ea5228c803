import type { Command } from 'commander';
import { loadMachine } from '../check/manifest.js';
import { inspectCaseDataset } from '../serve/eir/dataset.js';
import { startEirServer } from '../serve/eir/server.js';
import { EXIT, formatFinding, reportError, writeOut } from './output.js';

interface StreamOptions {
  manifest: string;
  port: string;
  host: string;
  path: string;
  skipUnsupported?: boolean;
  eventColumn: string;
  timeColumn: string;
}

/**
 * `berth stream <dataset-dir> --manifest M [--port 8000] [--host 127.0.0.1] [--path /ws]
 * [--skip-unsupported]`: serves a folder of cases to EIR over its streaming protocol until SIGINT
 * or SIGTERM. Exit 0 after a clean stop, 1 when the dataset has problems (listed, nothing served),
 * 2 when the manifest or the arguments are unusable or the port cannot be opened.
 */
export function registerStream(program: Command): void {
  program
    .command('stream')
    .description(
      'serve a folder of cases (<case>/input/ with <case>/expected/ or <case>/output/) to EIR over its ' +
        'WebSocket streaming protocol; the URL printed goes in input_source and output_source',
    )
    .argument('<dataset-dir>', 'a folder of case directories')
    .requiredOption('--manifest <file>', 'machine.yaml, machine.json, a Dockerfile, or docker inspect JSON')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8000')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--path <path>', 'WebSocket path', '/ws')
    .option(
      '--skip-unsupported',
      'leave out properties EIR cannot take (listed as warnings) instead of refusing',
    )
    .option('--event-column <name>', "survival targets: EIR's event_column", 'Event')
    .option('--time-column <name>', "survival targets: EIR's time_column", 'Time')
    .action(async (dir: string, opts: StreamOptions) => {
      process.exitCode = await runStream(dir, opts);
    });
}

function usage(message: string): number {
  process.stderr.write(`berth: BERTH_E_USAGE: ${message}\n`);
  return EXIT.unusable;
}

async function runStream(dir: string, opts: StreamOptions): Promise<number> {
  try {
    if (!/^[0-9]{1,5}$/.test(opts.port) || Number(opts.port) > 65535)
      return usage(`--port must be an integer from 0 to 65535, not ${JSON.stringify(opts.port)}`);
    if (!opts.path.startsWith('/'))
      return usage(`--path must start with "/", not ${JSON.stringify(opts.path)}`);
    if (opts.eventColumn === '' || opts.timeColumn === '' || opts.eventColumn === opts.timeColumn)
      return usage('--event-column and --time-column must be two different non-empty names');
    const definition = await loadMachine(opts.manifest);
    const { dataset, findings } = await inspectCaseDataset(definition, dir, {
      skipUnsupported: opts.skipUnsupported === true,
      survivalColumns: { event: opts.eventColumn, time: opts.timeColumn },
    });
    // stdout carries only the URL, so findings and progress go to stderr.
    if (findings.length > 0) process.stderr.write(findings.map(formatFinding).join('\n') + '\n');
    if (dataset === undefined) {
      const errors = findings.filter((f) => f.severity === 'error').length;
      process.stderr.write(`berth: ${dir}: ${errors} error(s); nothing is served\n`);
      return EXIT.findings;
    }
    const server = await startEirServer({
      source: dataset,
      host: opts.host,
      port: Number(opts.port),
      path: opts.path,
      onError: (e) => process.stderr.write(`berth: ${e.code}: ${e.message}\n`),
    });
    // Listeners go on before the URL is printed: whoever reads the URL may signal at once.
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      const stop = (signal: NodeJS.Signals): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(signal);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    const inputs = Object.keys(dataset.info().inputs).length;
    const outputs = Object.keys(dataset.info().outputs).length;
    process.stderr.write(
      `berth stream: ${dataset.cases.length} case(s), ${inputs} input(s), ${outputs} output(s); ` +
        'set input_source and output_source to the URL below; SIGINT or SIGTERM stops\n',
    );
    await writeOut(`${server.url}\n`);
    const signal = await stopped;
    await server.close();
    process.stderr.write(`berth stream: stopped (${signal})\n`);
    return EXIT.ok;
  } catch (e) {
    return reportError(e, false);
  }
}
