import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { BerthError } from '../errors.js';
import { resolveMachine } from '../harness/machine.js';
import { startGateway, type Gateway } from '../serve/http/gateway.js';
import { reportError } from './output.js';
import {
  addDeidOptions,
  addDriverOptions,
  addLaunchOptions,
  deidSettings,
  driverSettings,
  launchOverrides,
  parseBytes,
  parseDuration,
  type DeidFlags,
  type DriverFlags,
  type LaunchFlags,
} from './run-options.js';

interface ServeFlags extends LaunchFlags, DriverFlags, DeidFlags {
  port: string;
  host: string;
  concurrency?: string;
  queue?: string;
  maxBody?: string;
  maxEntries?: string;
  maxArrayItems?: string;
  token?: string;
  timeout?: string;
  workRoot?: string;
  quiet?: boolean;
}

/** `berth serve <machine>`: the machine behind HTTP (the README, "HTTP gateway"). */
export function registerServe(program: Command): void {
  addDeidOptions(addDriverOptions(addLaunchOptions(program.command('serve'))))
    .description('serve a machine over HTTP: POST /invocations with JSON or msgpack inputs, get its outputs')
    .argument('<machine>', 'a machine directory (with machine.yaml) or its manifest')
    .option('--port <port>', 'the port to listen on (0: any free one)', '8080')
    .option('--host <host>', 'the address to listen on (0.0.0.0 to be reachable from elsewhere)', '127.0.0.1')
    .option('--concurrency <n>', 'runs at once (default: one per core)')
    .option('--queue <n>', 'requests waiting for a run beyond those running (default: 4 × concurrency)')
    .option('--max-body <size>', 'the largest request body (default 256MiB)')
    .option('--max-entries <n>', 'tree entries one request document may create (default 100000)')
    .option('--max-array-items <n>', 'items of one list in a request document (default 20000)')
    .option('--token <token>', 'require Authorization: Bearer <token> (or set BERTH_TOKEN)')
    .option('--timeout <duration>', "overrides the manifest's timeout: 90s, 5m, or minutes")
    .option('--work-root <dir>', 'where request trees are made (default: a fresh temp folder)')
    .option('--quiet', 'no access log on stderr')
    .action(async (machine: string, flags: ServeFlags) => {
      process.exitCode = await serve(machine, flags);
    });
}

function integer(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\s*[0-9]+\s*$/.test(text)) {
    throw new BerthError('BERTH_E_USAGE', `${what} must be a whole number, not ${JSON.stringify(text)}`, {
      expected: 'e.g. 4',
    });
  }
  return Number(text);
}

async function serve(machineArg: string, flags: ServeFlags): Promise<number> {
  let gateway: Gateway;
  try {
    const machine = await resolveMachine(machineArg);
    const token = flags.token ?? process.env['BERTH_TOKEN'];
    const concurrency = integer(flags.concurrency, '--concurrency');
    const queue = integer(flags.queue, '--queue');
    const maxEntries = integer(flags.maxEntries, '--max-entries');
    const maxArrayItems = integer(flags.maxArrayItems, '--max-array-items');
    const deidentify = await deidSettings(flags);
    gateway = await startGateway({
      machine,
      driver: flags.driver,
      host: flags.host,
      port: integer(flags.port, '--port')!,
      ...launchOverrides(flags),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(queue === undefined ? {} : { queue }),
      ...(flags.maxBody ? { maxBodyBytes: parseBytes(flags.maxBody) } : {}),
      ...(maxEntries === undefined ? {} : { maxEntries }),
      ...(maxArrayItems === undefined ? {} : { maxArrayItems }),
      ...(token ? { token } : {}),
      ...(flags.timeout ? { timeoutMs: parseDuration(flags.timeout) } : {}),
      ...(flags.workRoot ? { workRoot: flags.workRoot } : {}),
      ...driverSettings(flags),
      ...(deidentify ? { deidentify } : {}),
      ...(flags.quiet
        ? {}
        : {
            onRequestDone: (e) =>
              process.stderr.write(
                `${new Date().toISOString()} ${e.method} ${e.url} ${e.status} ${Math.round(e.ms)} ms` +
                  `${e.runId ? ` run ${e.runId}` : ''}${e.outcome ? ` ${e.outcome}` : ''}\n`,
              ),
          }),
    });
    process.stderr.write(
      `berth serve: ${machine.definition.settings.name} on ${gateway.url}` +
        ` (POST /invocations, GET /openapi.json${token ? '; bearer token required' : ''})\n`,
    );
  } catch (e) {
    return reportError(e, false);
  }
  // First signal: stop gracefully (running runs finish). Second: leave now.
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`berth serve: ${signal} again, exiting without waiting\n`);
        // Runs still going are abandoned; their trees at least do not outlive the gateway.
        if (!flags.workRoot) rmSync(gateway.workRoot, { recursive: true, force: true });
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`berth serve: ${signal}, finishing running runs (again to exit at once)\n`);
      gateway.close().then(
        () => resolve(0),
        (e: unknown) => resolve(reportError(e, false)),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
