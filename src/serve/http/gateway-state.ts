/**
 * The gateway's first stage: its options checked and turned into the state every other stage
 * shares (the work root, auth, admission, the run log, the invocation context, the shutdown
 * signal), and what each invocation request carries from its hooks to its handler.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Outcome } from '../../harness/outcome.js';
import { Admission, type Ticket } from './admission.js';
import { BearerAuth } from './auth.js';
import type { InvokeContext } from './invoke.js';
import type { WireFormat } from './media-type.js';
import { checkGatewayOptions, type GatewayOptions } from './options.js';
import { RunLog } from './run-log.js';
import { wireCodecWith } from './wire-codec.js';

/** What each invocation request carries from its hooks to its handler. */
export interface RequestState {
  runId: string;
  format: WireFormat;
  ticket: Ticket;
  controller: AbortController;
  inHandler: boolean;
  /** When it was admitted, and how long it waited for a run slot (before its body was read). */
  admittedAt: number;
  queuedMs?: number;
  /** The upload deadline, from the moment the body may be read. */
  uploadTimer?: NodeJS.Timeout;
  outcome?: Outcome;
}

/** What the stages of one gateway share. */
export interface GatewayState {
  readonly options: GatewayOptions;
  readonly ctx: InvokeContext;
  readonly concurrency: number;
  readonly queue: number;
  readonly maxBody: number;
  /** Time a request's body has to arrive once it holds a run slot. */
  readonly uploadMs: number;
  readonly heartbeatMs: number;
  readonly closeGraceMs: number;
  readonly workRoot: string;
  /** The work root was made here (a temporary folder), so closing removes it. */
  readonly ownWorkRoot: boolean;
  readonly auth: BearerAuth | undefined;
  readonly admission: Admission;
  readonly runs: RunLog;
  readonly shutdown: AbortController;
  readonly inflight: Set<Promise<unknown>>;
  readonly states: WeakMap<IncomingMessage, RequestState>;
  /** Recent run durations, for an honest Retry-After: about when a slot frees up. */
  meanRunMs: number;
  /** The address clients use, once the gateway listens. */
  url: string;
}

/** Checks the options and makes the shared state (and the work root). */
export async function gatewayState(options: GatewayOptions): Promise<GatewayState> {
  const { machine, driver, command, launch, concurrency, queue, maxBody, limits } =
    await checkGatewayOptions(options);
  const ownWorkRoot = options.workRoot === undefined;
  const workRoot = ownWorkRoot
    ? await mkdtemp(path.join(os.tmpdir(), 'berth-gateway-'))
    : path.resolve(options.workRoot!);
  if (!ownWorkRoot) await mkdir(workRoot, { recursive: true });
  const runs = new RunLog({
    ...(options.eventRetentionMs === undefined ? {} : { retentionMs: options.eventRetentionMs }),
    ...(options.maxFinishedRuns === undefined ? {} : { maxFinished: options.maxFinishedRuns }),
  });
  const ctx: InvokeContext = {
    machine,
    driver,
    command,
    launch,
    workRoot,
    codec: options.codec ?? wireCodecWith(limits),
    runs,
    ...(options.image ? { image: options.image } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.env ? { env: options.env } : {}),
    ...(options.deidentify ? { deidentify: options.deidentify } : {}),
  };
  return {
    options,
    ctx,
    concurrency,
    queue,
    maxBody,
    uploadMs: options.requestTimeoutMs ?? 5 * 60_000,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    closeGraceMs: options.closeGraceMs ?? 5_000,
    workRoot,
    ownWorkRoot,
    auth: options.token === undefined ? undefined : new BearerAuth(options.token),
    admission: new Admission(concurrency, queue),
    runs,
    shutdown: new AbortController(),
    inflight: new Set(),
    states: new WeakMap(),
    meanRunMs: 1000,
    url: '',
  };
}
