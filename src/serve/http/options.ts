/**
 * The gateway's options, and their checks: everything `startGateway` refuses to start with is
 * found here, before anything listens.
 */
import type { DeidRunSettings } from '../../harness/deid-stage.js';
import os from 'node:os';
import { BerthError } from '../../errors.js';
import type { Driver } from '../../harness/drivers/driver.js';
import { driverNamed } from '../../harness/drivers/index.js';
import { requireImage } from '../../harness/image.js';
import { launchPlan, resolveMachine, type MachineRef } from '../../harness/machine.js';
import type { LaunchExtras } from '../../harness/drivers/extras.js';
import { sandboxNeeds } from '../../harness/drivers/needs.js';
import type { Outcome } from '../../harness/outcome.js';
import type { WireLimits } from '../../wire/case.js';
import type { CaseCodec } from './codec.js';

/** How to serve a machine. */
export interface GatewayOptions {
  /** The machine: a directory or manifest path, or one already resolved. */
  machine: string | MachineRef;
  /** process (default), sandbox or container. */
  driver?: string;
  /** The machine's command (default: the manifest's `berth.command`). */
  command?: string[];
  image?: string;
  engine?: string;
  /** 127.0.0.1 unless given: the gateway is reachable from elsewhere only when asked to be. */
  host?: string;
  /** 8080 unless given; 0 picks a free port. */
  port?: number;
  /** Runs at once (default: one per core). */
  concurrency?: number;
  /** Requests waiting for a run slot beyond those running (default 4 × concurrency). */
  queue?: number;
  /** The largest request body, in bytes (default 256 MiB). */
  maxBodyBytes?: number;
  /** Tree entries one request document may create (default 100,000: the wire formats' `maxEntries`). */
  maxEntries?: number;
  /** Items of one list in a request document (default 20,000: the wire formats' `maxArrayItems`). */
  maxArrayItems?: number;
  /** Require `Authorization: Bearer <token>` on everything but /ping. */
  token?: string;
  /** Overrides the manifest's timeout, per run. */
  timeoutMs?: number;
  /** `--writable-input`: each run's machine gets a private writable copy of its input tree. */
  writableInput?: boolean;
  /** `--bind` / `--ro-bind` (sandbox). */
  binds?: { path: string; writable: boolean }[];
  /** `--deidentify`: every run de-identifies its DICOM inputs, leak-checks and re-identifies its outputs. */
  deidentify?: DeidRunSettings;
  /** Extra environment for the machine. */
  env?: Record<string, string>;
  /**
   * Where request trees are made. Default: a fresh folder in the system's temp dir, removed on
   * close. A given folder is created if missing and kept; only the gateway's own entries in it
   * are removed.
   */
  workRoot?: string;
  /** Documents ⇄ trees (default: berth's wire encodings). */
  codec?: CaseCodec;
  /** How long finished runs' events are kept (default 5 minutes). */
  eventRetentionMs?: number;
  /** Finished runs whose events are kept at most (default 1000). */
  maxFinishedRuns?: number;
  /** Comment lines on event streams every so often (default 15 s). */
  heartbeatMs?: number;
  /**
   * Bytes an event stream may hold for a client that does not read; beyond, the client gets a
   * `dropped` event and the stream ends (default 4 MiB).
   */
  eventBufferBytes?: number;
  /**
   * Time to receive a request's body once it holds a run slot (bodies of queued requests are not
   * read; default 5 minutes). Headers have Node's own 60 s.
   */
  requestTimeoutMs?: number;
  /**
   * On close, how long connections may stay open after the last run was answered (slow readers
   * of large answers), before they are cut (default 5 s).
   */
  closeGraceMs?: number;
  /** Called once per answered request (for access logs). */
  onRequestDone?: (entry: RequestLogEntry) => void;
}

/** One answered request. */
export interface RequestLogEntry {
  method: string;
  url: string;
  status: number;
  ms: number;
  runId?: string;
  outcome?: Outcome;
}

/** A running gateway. */
export interface Gateway {
  /** `http://host:port`. */
  url: string;
  port: number;
  /** Where request trees are made. */
  workRoot: string;
  /** Requests admitted now (running, queued or uploading). */
  admitted(): number;
  /**
   * Stops: new requests are refused (503) and no new connections accepted, queued requests are
   * refused, running ones finish and are answered, event streams end, temporary trees go.
   */
  close(): Promise<void>;
}

/** The default largest request body: 256 MiB. */
export const DEFAULT_MAX_BODY = 256 * 1024 * 1024;

/** The options that need checking, checked, with defaults filled in. */
export interface CheckedOptions {
  machine: MachineRef;
  driver: Driver;
  command: string[];
  /** Driver settings for every run (Dockerfile layout, writable input, binds). */
  launch: LaunchExtras;
  concurrency: number;
  queue: number;
  maxBody: number;
  /** The document limits given (entries per document and per list). */
  limits: Pick<WireLimits, 'maxEntries' | 'maxArrayItems'>;
}

/**
 * Resolves the machine and checks the options: a command to start it (or the container driver
 * with an image), a driver that can run here, positive limits, a non-empty token.
 */
export async function checkGatewayOptions(options: GatewayOptions): Promise<CheckedOptions> {
  const machine =
    typeof options.machine === 'string' ? await resolveMachine(options.machine) : options.machine;
  const driver = driverNamed(options.driver ?? 'process');
  const plan = launchPlan(machine, driver, options.command, options.image);
  const command = plan.command;
  const needs = await sandboxNeeds(driver, machine.machineDir, plan);
  const launch: LaunchExtras = {
    ...(plan.contextAt ? { contextAt: plan.contextAt } : {}),
    ...(plan.workdir ? { workdir: plan.workdir } : {}),
    ...(options.writableInput ? { writableInput: true } : {}),
    binds: [...needs.binds, ...(options.binds ?? [])],
  };
  const unavailable = await driver.unavailable(
    options.engine === undefined ? {} : { engine: options.engine },
  );
  if (unavailable) {
    throw new BerthError(
      'BERTH_E_DRIVER_UNAVAILABLE',
      `The ${driver.name} driver cannot run here: ${unavailable}`,
    );
  }
  // A missing image refuses the gateway at start, not every request (BERTH_E_IMAGE_NOT_FOUND).
  if (driver.name === 'container' && options.image)
    await requireImage(options.image, options.engine, machine.machineDir);
  const concurrency = positive(options.concurrency ?? os.availableParallelism(), 'concurrency');
  const queue = nonNegative(options.queue ?? 4 * concurrency, 'queue');
  const maxBody = positive(options.maxBodyBytes ?? DEFAULT_MAX_BODY, 'max body size');
  if (options.eventBufferBytes !== undefined) positive(options.eventBufferBytes, 'event buffer size');
  if (options.token !== undefined && options.token.length === 0) {
    throw new BerthError('BERTH_E_USAGE', 'The token is empty', { expected: 'a non-empty bearer token' });
  }
  const limits: CheckedOptions['limits'] = {
    ...(options.maxEntries === undefined ? {} : { maxEntries: positive(options.maxEntries, 'max entries') }),
    ...(options.maxArrayItems === undefined
      ? {}
      : { maxArrayItems: positive(options.maxArrayItems, 'max array items') }),
  };
  return { machine, driver, command, launch, concurrency, queue, maxBody, limits };
}

function positive(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new BerthError('BERTH_E_USAGE', `The ${what} must be a positive integer, not ${n}`, {
      expected: 'e.g. 4',
    });
  }
  return n;
}

function nonNegative(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new BerthError('BERTH_E_USAGE', `The ${what} must be a whole number ≥ 0, not ${n}`, {
      expected: 'e.g. 16',
    });
  }
  return n;
}
