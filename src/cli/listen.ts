import type { Command } from 'commander';
import { BerthError } from '../errors.js';
import { driverNamed } from '../harness/drivers/index.js';
import { resolveMachine } from '../harness/machine.js';
import { DEFAULT_RETRY } from '../net/delivery.js';
import { aeTitleProblem, parseDestination, readBearerToken, withTokenFiles } from '../net/dest.js';
import { DIMSE_DEFAULTS } from '../net/dimse-scp.js';
import { openEventLog, type EventLog } from '../net/event-log.js';
import { startListen, type Receiver } from '../net/listen.js';
import { groupInput, otherInputs } from '../net/machine-input.js';
import type { ReceiveEvent } from '../net/receive-events.js';
import { DEFAULT_DRAIN_MS, startReceivers } from '../net/receivers.js';
import { DEFAULT_SPOOL, Spool } from '../net/spool.js';
import { spoolStatus, statusTable } from '../net/status.js';
import { DEFAULT_MAX_INSTANCE_BYTES, DEFAULT_WATERMARK_PERCENT } from '../net/staging.js';
import { EXIT, reportError, writeOut } from './output.js';
import {
  addDeidOptions,
  addLaunchOptions,
  launchOverrides,
  addDriverOptions,
  collect,
  deidSettings,
  driverSettings,
  parseBytes,
  parseDuration,
  type DeidFlags,
  type DriverFlags,
  type LaunchFlags,
} from './run-options.js';

interface ListenFlags extends LaunchFlags, DriverFlags, DeidFlags {
  spool: string;
  status?: boolean;
  json?: boolean;
  aet: string;
  host: string;
  port: string;
  allowAet?: string[];
  maxAssociations?: string;
  associationTimeout?: string;
  group?: string;
  idle: string;
  inputs?: string;
  dest?: string[];
  destTokenFile?: string[];
  retryInitial?: string;
  retryMax?: string;
  retryAttempts?: string;
  diskWatermark?: string;
  maxInstanceBytes?: string;
  /** False with `--no-fsync`. */
  fsync: boolean;
  drainGrace?: string;
  pruneAfter?: string;
  httpPort?: string;
  token?: string;
  maxStowParts?: string;
  log?: string;
  timeout?: string;
  captureBytes?: string;
}

/** The exit code of a `berth listen` stopped by a second signal before its drain ended (128 + SIGINT). */
export const EXIT_LISTEN_ABORTED = 130;

/** `berth listen <machine>`: berth as a DICOM node (README, "Deploy next to a PACS"). */
export function registerListen(program: Command): void {
  addDeidOptions(addDriverOptions(addLaunchOptions(program.command('listen'))))
    .description('receive studies by C-STORE, run the machine on each complete one, send the results on')
    .argument('[machine]', 'a machine directory (with machine.yaml) or its manifest (not with --status)')
    .option('--spool <dir>', 'where received instances, state, runs and reports are kept', DEFAULT_SPOOL)
    .option('--status', 'print the groups of the spool and their state, then exit (no server)')
    .option('--json', 'with --status: print JSON')
    .option('--aet <aet>', "berth's AE title: called by peers, calling destinations", DIMSE_DEFAULTS.aet)
    .option('--host <host>', 'interface to listen on', DIMSE_DEFAULTS.host)
    .option('--port <port>', 'DICOM port (0: any free port)', String(DIMSE_DEFAULTS.port))
    .option(
      '--allow-aet <aets>',
      'calling AE titles allowed, comma-separated or repeated (default: any)',
      collect,
    )
    .option('--max-associations <n>', `associations at once (default ${DIMSE_DEFAULTS.maxAssociations})`)
    .option('--association-timeout <duration>', 'abort an association silent this long (default 60s)')
    .option('--group <by>', "study or series (default: the level of the machine's DICOM input)")
    .option('--idle <seconds>', 'silence after which a group is complete (seconds, or 500ms, 1m)', '10')
    .option('--inputs <file>', "a case file whose inputs: give the machine's other inputs")
    .option(
      '--dest <dest>',
      'send DICOM outputs to AET@host:port or http(s)://…/dicom-web (repeatable)',
      collect,
    )
    .option(
      '--dest-token-file <[dest=]file>',
      'STOW-RS: send the bearer token in <file> to every http(s) --dest, or to <dest> only (repeatable)',
      collect,
    )
    .option(
      '--retry-initial <duration>',
      'first delay after a failed delivery, doubled each time (default 5s)',
    )
    .option('--retry-max <duration>', 'longest delay between delivery attempts (default 10m)')
    .option(
      '--retry-attempts <n>',
      `delivery attempts before a delivery fails (default ${DEFAULT_RETRY.attempts})`,
    )
    .option(
      '--disk-watermark <percent>',
      `refuse new work above this use of the spool's disk (default ${DEFAULT_WATERMARK_PERCENT})`,
    )
    .option('--max-instance-bytes <size>', 'largest instance received (default 4GiB)')
    .option(
      '--no-fsync',
      'acknowledge without syncing instances to disk: they survive berth being killed, not a power loss',
    )
    .option(
      '--http-port <port>',
      'also receive STOW-RS at POST /dicom-web/studies on this port (0: any free port)',
    )
    .option(
      '--token <token>',
      'STOW-RS requests must carry Authorization: Bearer <token> (or set BERTH_TOKEN)',
    )
    .option('--max-stow-parts <n>', 'most instances in one STOW-RS request (default 10000)')
    .option(
      '--drain-grace <duration>',
      `on SIGTERM, how long open associations and requests get to end (default ${DEFAULT_DRAIN_MS / 1000}s)`,
    )
    .option(
      '--prune-after <days>',
      'remove the instances and run data of groups sent or not-applicable this long ago (days, or 12h, 30m, 90s); state and reports stay',
    )
    .option('--log <file>', 'append the JSON event log to <file> instead of stderr')
    .option('--timeout <duration>', "overrides the manifest's timeout: 90s, 5m, or minutes")
    .option('--capture-bytes <size>', 'stdout/stderr kept per stream and run (default 8MiB)')
    .action(async (machine: string | undefined, flags: ListenFlags) => {
      process.exitCode = flags.status ? await status(flags) : await listen(machine, flags);
    });
}

async function status(flags: ListenFlags): Promise<number> {
  try {
    const rows = await spoolStatus(new Spool(flags.spool));
    await writeOut(flags.json ? JSON.stringify(rows, null, 2) + '\n' : statusTable(rows));
    return EXIT.ok;
  } catch (e) {
    return reportError(e, flags.json === true);
  }
}

function usage(message: string, expected: string): BerthError {
  return new BerthError('BERTH_E_USAGE', message, { expected });
}

function integer(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw usage(`${name} ${text} is out of range`, `an integer from ${min} to ${max}`);
  return n;
}

/** `--idle`: a number of seconds, or a duration with its unit. */
function idleMs(text: string): number {
  return /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(text) ? parseDuration(`${text}s`) : parseDuration(text);
}

/** `--dest`, with `--dest-token-file`: every token file is read once now (and at each delivery). */
async function destinations(flags: ListenFlags) {
  const dests = withTokenFiles((flags.dest ?? []).map(parseDestination), flags.destTokenFile ?? []);
  for (const d of dests) if (d.protocol === 'stow' && d.tokenFile) await readBearerToken(d.tokenFile);
  return dests;
}

/** `--prune-after`: a number of days, or a duration with its unit (s, m, h, d). */
function retentionMs(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)?\s*$/.exec(text);
  const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'd']! : NaN;
  if (!(ms > 0 && ms <= 3650 * 86_400_000))
    throw usage(
      `--prune-after ${text} is not a retention window`,
      'days (e.g. 30), or 12h, 30m, 90s; at most 3650 days',
    );
  return ms;
}

/** Every option checked before anything listens or is written. */
async function settings(machineArg: string | undefined, flags: ListenFlags) {
  if (!machineArg)
    throw usage('berth listen needs a machine (or --status)', 'berth listen <machine-dir|manifest>');
  driverNamed(flags.driver);
  const aetProblem = aeTitleProblem(flags.aet);
  if (aetProblem)
    throw usage(`--aet ${JSON.stringify(flags.aet)}: ${aetProblem}`, 'an AE title such as BERTH');
  const machine = await resolveMachine(machineArg);
  const input = groupInput(machine.definition);
  const group = flags.group ?? input.level;
  if (group !== 'study' && group !== 'series') throw usage(`--group ${group}`, 'study or series');
  const deidentify = await deidSettings(flags);
  const timeoutMs = flags.timeout ? parseDuration(flags.timeout) : undefined;
  const captureBytes = flags.captureBytes ? parseBytes(flags.captureBytes) : undefined;
  return {
    machine,
    input,
    group: group as 'study' | 'series',
    inputs: await otherInputs(machine.definition, input, flags.inputs),
    destinations: await destinations(flags),
    idleMs: idleMs(flags.idle),
    port: integer('--port', flags.port, 0, 65535)!,
    maxAssociations: integer('--max-associations', flags.maxAssociations, 1, 1000),
    associationTimeoutMs: flags.associationTimeout ? parseDuration(flags.associationTimeout) : undefined,
    retry: {
      initialMs: flags.retryInitial ? parseDuration(flags.retryInitial) : DEFAULT_RETRY.initialMs,
      maxMs: flags.retryMax ? parseDuration(flags.retryMax) : DEFAULT_RETRY.maxMs,
      attempts: integer('--retry-attempts', flags.retryAttempts, 1, 1000) ?? DEFAULT_RETRY.attempts,
    },
    watermarkPercent: integer('--disk-watermark', flags.diskWatermark, 1, 100) ?? DEFAULT_WATERMARK_PERCENT,
    maxInstanceBytes: flags.maxInstanceBytes
      ? parseBytes(flags.maxInstanceBytes)
      : DEFAULT_MAX_INSTANCE_BYTES,
    drainGraceMs: flags.drainGrace ? parseDuration(flags.drainGrace) : DEFAULT_DRAIN_MS,
    pruneAfterMs: flags.pruneAfter === undefined ? undefined : retentionMs(flags.pruneAfter),
    httpPort: integer('--http-port', flags.httpPort, 0, 65535),
    maxStowParts: integer('--max-stow-parts', flags.maxStowParts, 1, 1_000_000),
    run: {
      driver: flags.driver,
      ...launchOverrides(flags),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(captureBytes === undefined ? {} : { captureBytes }),
      ...driverSettings(flags),
      ...(deidentify ? { deidentify } : {}),
    },
  };
}

/** The receivers' events in the node's log: `receive.<event>`. */
function receiveLogger(log: EventLog): (e: ReceiveEvent) => void {
  return ({ event, ...fields }) => log.event(`receive.${event}`, fields);
}

async function listen(machineArg: string | undefined, flags: ListenFlags): Promise<number> {
  let log: EventLog | undefined;
  try {
    const s = await settings(machineArg, flags);
    log = openEventLog(flags.log);
    const logger = log;
    const listening = await startListen({
      spool: flags.spool,
      group: s.group,
      idleMs: s.idleMs,
      runner: { machine: s.machine, input: s.input, inputs: s.inputs, settings: s.run },
      destinations: s.destinations,
      aet: flags.aet,
      retry: s.retry,
      watermarkPercent: s.watermarkPercent,
      maxInstanceBytes: s.maxInstanceBytes,
      fsync: flags.fsync,
      ...(s.pruneAfterMs === undefined ? {} : { pruneAfterMs: s.pruneAfterMs }),
      log: logger,
      receivers: async (sink): Promise<Receiver> => {
        const r = await startReceivers(
          {
            host: flags.host,
            port: s.port,
            aet: flags.aet,
            ...(flags.allowAet ? { allowAet: flags.allowAet.flatMap((a) => a.split(',')) } : {}),
            ...(s.maxAssociations === undefined ? {} : { maxAssociations: s.maxAssociations }),
            ...(s.associationTimeoutMs === undefined ? {} : { idleTimeoutMs: s.associationTimeoutMs }),
            ...(s.httpPort === undefined ? {} : { httpPort: s.httpPort }),
            ...stowToken(flags.token),
            ...(s.maxStowParts === undefined ? {} : { maxStowParts: s.maxStowParts }),
            drainMs: s.drainGraceMs,
            onEvent: receiveLogger(logger),
          },
          sink,
        );
        const addresses = [`dimse ${flags.aet}@${flags.host}:${r.dimsePort}`];
        if (r.httpPort !== undefined) addresses.push(`stow http://${flags.host}:${r.httpPort}/dicom-web`);
        return { addresses, close: () => r.close() };
      },
    });
    return await new Promise<number>((resolve) => {
      let signals = 0;
      const stop = (): void => {
        signals++;
        if (signals > 1) {
          // What is under way is taken up at the next start (state.json says so).
          void listening.abort().finally(() => process.exit(EXIT_LISTEN_ABORTED));
          return;
        }
        listening.close().then(
          () => resolve(EXIT.ok),
          () => resolve(EXIT.unusable),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  } catch (e) {
    return reportError(e, false);
  } finally {
    await log?.close();
  }
}

/**
 * The STOW-RS bearer token: `--token`, else `BERTH_TOKEN` as `berth serve` reads it — the
 * environment keeps it off the command line, which `ps` shows every user.
 */
function stowToken(flag: string | undefined): { token?: string } {
  const token = flag ?? process.env['BERTH_TOKEN'];
  return token ? { token } : {};
}
