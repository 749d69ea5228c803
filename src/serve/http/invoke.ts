/**
 * One invocation, from request bytes to the answer: wait for a run slot, decode the body into a
 * fresh input tree, run the machine through the harness exactly as `berth run` does, encode the
 * outputs in the request's format — and remove the request's trees whatever happened, before
 * the answer leaves (so a client that has its answer never sees them).
 */
import type { DeidRunSettings } from '../../harness/deid-stage.js';
import { failureHints, readOnlyInputFinding } from '../../harness/hints.js';
import type { LaunchExtras } from '../../harness/drivers/extras.js';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isBerthError, type Finding } from '../../errors.js';
import { WireDecodeError } from '../../wire/case.js';
import type { CaseSpec } from '../../harness/case.js';
import type { Driver } from '../../harness/drivers/driver.js';
import type { MachineRef } from '../../harness/machine.js';
import type { Outcome } from '../../harness/outcome.js';
import { exitCodeOf } from '../../harness/outcome.js';
import { runCase, type RunEvent } from '../../harness/run.js';
import type { RunReport } from '../../harness/types.js';
import type { Ticket } from './admission.js';
import type { CaseCodec } from './codec.js';
import {
  HttpError,
  OUTCOME_CODE,
  OUTCOME_STATUS,
  decodeError,
  pointerOf,
  type ErrorBody,
} from './http-error.js';
import { MEDIA_TYPE, type WireFormat } from './media-type.js';
import { resultBody, type RunDetails } from './response.js';
import type { RunLog } from './run-log.js';
import { scrubberFor } from './scrub.js';

/** What every invocation of one gateway shares. */
export interface InvokeContext {
  machine: MachineRef;
  driver: Driver;
  command: string[];
  /** Driver settings for every run (see CheckedOptions). */
  launch?: LaunchExtras;
  image?: string;
  engine?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  deidentify?: DeidRunSettings;
  /** Where request trees are made (one fresh folder per request, removed after it). */
  workRoot: string;
  codec: CaseCodec;
  runs: RunLog;
}

/** One request to run. */
export interface Invocation {
  runId: string;
  format: WireFormat;
  /** The request body; dropped (undefined) once decoded, so that it can be freed during the run. */
  body: Buffer | undefined;
  ticket: Ticket;
  /** Milliseconds it waited for its run slot before the body was read (0 when unknown). */
  queuedMs?: number;
  /** Aborts when the client is gone or the gateway shuts down (only a queued request stops). */
  signal: AbortSignal;
  /** Why `signal` aborted: the error to answer (a client that left gets nothing). */
  abortError(): HttpError;
}

/** The answer to send. */
export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
  outcome?: Outcome;
  /** Why, in words (errors and runs). */
  reason?: string;
  /** The `error` member of an error answer. */
  error?: ErrorBody['error'];
  /** Milliseconds the run itself took (launch to outcome), for Retry-After estimates. */
  runMs?: number;
}

/** Where an invocation's time went, in milliseconds (answered as `timing`). */
interface Timing {
  queuedMs: number;
  decodeMs: number;
  runMs: number;
  encodeMs: number;
  totalMs: number;
}

/** Runs one invocation to its answer. Never throws: every failure is an answer. */
export async function invoke(ctx: InvokeContext, inv: Invocation): Promise<Answer> {
  const t0 = performance.now();
  const { runs } = ctx;
  const publish = (stage: string) =>
    runs.publish(inv.runId, 'stage', { runId: inv.runId, stage, at: new Date().toISOString() });
  // Usually the slot is held already: the gateway waits for it before reading the body.
  if (!(await inv.ticket.acquire(inv.signal))) {
    const refused = inv.abortError();
    runs.reject(inv.runId, { runId: inv.runId, status: refused.status, error: refused.body().error });
    return errorAnswer(refused, {});
  }
  const timing: Timing = {
    queuedMs: (inv.queuedMs ?? 0) + performance.now() - t0,
    decodeMs: 0,
    runMs: 0,
    encodeMs: 0,
    totalMs: 0,
  };
  let runDir: string | undefined;
  let answer: Answer;
  try {
    runDir = await mkdtemp(path.join(ctx.workRoot, 'run-'));
    answer = await decodeRunEncode(ctx, inv, runDir, { ...timing, t0 }, publish);
  } catch (e) {
    const scrub = runDir === undefined ? undefined : scrubberFor(runDir);
    const err = decodeError(e, scrub ?? { text: (t) => t, relative: () => undefined });
    answer = errorAnswer(new HttpError(500, err.code, err.message), { runId: inv.runId });
  } finally {
    inv.ticket.releaseSlotOnly();
    if (runDir !== undefined) await rm(runDir, { recursive: true, force: true, maxRetries: 3 });
  }
  runs.publish(inv.runId, 'outcome', {
    runId: inv.runId,
    outcome: answer.outcome ?? null,
    exitCode: answer.outcome === undefined ? null : exitCodeOf(answer.outcome),
    reason: answer.reason ?? '',
    status: answer.status,
    ...(answer.error ? { error: answer.error } : {}),
  });
  return answer;
}

/** The run's stages: the body decoded into the input tree, the run, the answer. */
async function decodeRunEncode(
  ctx: InvokeContext,
  inv: Invocation,
  runDir: string,
  clock: Timing & { t0: number },
  publish: (stage: string) => void,
): Promise<Answer> {
  const { t0, ...timing } = clock;
  const scrub = scrubberFor(runDir);
  const inputDir = path.join(runDir, 'input');
  await mkdir(inputDir);

  // 1. The body becomes the input tree (straight where the run reads it: no copy).
  publish('decode');
  let t = performance.now();
  const refused = await decodeInputs(ctx, inv, inputDir, scrub);
  if (refused) return refused;
  timing.decodeMs = performance.now() - t;

  // 2. The run, as the harness does it; the case is the tree already in place.
  t = performance.now();
  const report = await runMachine(ctx, inv, runDir, publish);
  timing.runMs = performance.now() - t;
  // The machine is done: its slot can go to the next request while this one encodes.
  inv.ticket.releaseSlotOnly();
  timing.totalMs = performance.now() - t0;
  const details = runDetails(inv.runId, report, scrub, timing);

  // 3. The answer: the outputs in the request's format, or the outcome as a JSON error.
  if (report.outcome !== 'passed')
    return { ...outcomeError(report, report.outcome, scrub, details), runMs: timing.runMs };
  publish('encode');
  t = performance.now();
  const outputs = await ctx.codec.encode(
    inv.format,
    ctx.machine.definition.outputs,
    path.join(runDir, 'output'),
  );
  timing.encodeMs = performance.now() - t;
  timing.totalMs = performance.now() - t0;
  return {
    status: 200,
    contentType: MEDIA_TYPE[inv.format],
    body: resultBody(outputs, details),
    outcome: 'passed',
    reason: scrub.text(report.reason),
    runMs: timing.runMs,
  };
}

/** Decodes the body into the input tree; the error answer when it cannot, else undefined. */
async function decodeInputs(
  ctx: InvokeContext,
  inv: Invocation,
  inputDir: string,
  scrub: ReturnType<typeof scrubberFor>,
): Promise<Answer | undefined> {
  try {
    await ctx.codec.decode(inv.format, ctx.machine.definition.inputs, inv.body ?? Buffer.alloc(0), inputDir);
    return undefined;
  } catch (e) {
    const err = decodeError(e, scrub);
    const outcome: Outcome | undefined =
      err.status === 422 ? 'not-applicable' : err.status === 500 ? undefined : 'invalid-input';
    return errorAnswer(
      err,
      {
        runId: inv.runId,
        ...(outcome ? { outcome, exitCode: exitCodeOf(outcome) } : {}),
        reason: err.message,
        findings: decodeFindings(e).map((f) => scrub.finding(f)),
      },
      outcome,
    );
  } finally {
    inv.body = undefined;
  }
}

/** Runs the machine on the input tree in `runDir`, publishing its stages and status. */
async function runMachine(
  ctx: InvokeContext,
  inv: Invocation,
  runDir: string,
  publish: (stage: string) => void,
): Promise<RunReport> {
  const spec: CaseSpec = {
    name: inv.runId,
    path: `http:${inv.runId}`,
    baseDir: runDir,
    expectedOutcome: 'passed',
    tolerances: {},
  };
  const result = await runCase({
    definition: ctx.machine.definition,
    machineDir: ctx.machine.machineDir,
    case: spec,
    driver: ctx.driver,
    command: ctx.command,
    ...(ctx.launch ? { launch: ctx.launch } : {}),
    workDir: runDir,
    ...(ctx.image ? { image: ctx.image } : {}),
    ...(ctx.engine ? { engine: ctx.engine } : {}),
    ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
    ...(ctx.env ? { env: ctx.env } : {}),
    ...(ctx.deidentify ? { deidentify: ctx.deidentify } : {}),
    onEvent: (e: RunEvent) => {
      if (e.type === 'stage' && e.stage !== 'done') publish(e.stage);
      else if (e.type === 'status') ctx.runs.publish(inv.runId, 'status', { runId: inv.runId, ...e.status });
    },
  });
  result.report.notices.push(...failureHints(result.report));
  result.report.inputFindings.push(...readOnlyInputFinding(result.report, ctx.launch ?? {}));
  return result.report;
}

/** A run that did not pass, as its JSON error answer. */
function outcomeError(
  report: RunReport,
  outcome: Exclude<Outcome, 'passed'>,
  scrub: ReturnType<typeof scrubberFor>,
  details: ReturnType<typeof runDetails>,
): Answer {
  const first = firstError(report);
  const inputFault = outcome === 'invalid-input' || outcome === 'not-applicable';
  const code = inputFault ? (first?.code ?? OUTCOME_CODE[outcome]) : OUTCOME_CODE[outcome];
  const where = inputFault && first ? pointerOf(first, scrub) : undefined;
  const err = new HttpError(OUTCOME_STATUS[outcome], code, scrub.text(report.reason), where);
  return errorAnswer(err, details, outcome);
}

/** The run's details for results and errors: outcome, reason, findings (paths relative), usage. */
function runDetails(
  runId: string,
  report: RunReport,
  scrub: ReturnType<typeof scrubberFor>,
  timing: Record<string, number>,
): RunDetails {
  return {
    outcome: report.outcome,
    exitCode: report.exitCode,
    reason: scrub.text(report.reason),
    findings: [...report.inputFindings, ...report.outputFindings].map((f) => scrub.finding(f)),
    warnings: report.status.warnings,
    runId,
    usage: report.usage,
    timing,
  };
}

/** Every problem a decoder found (a WireDecodeError lists them all), as findings. */
function decodeFindings(e: unknown): Finding[] {
  if (e instanceof WireDecodeError) return e.toFindings();
  return isBerthError(e) ? [e.toFinding()] : [];
}

function firstError(report: RunReport): Finding | undefined {
  return [...report.inputFindings, ...report.outputFindings].find((f) => f.severity === 'error');
}

/** An error answer: always JSON, the run's details (when there was a run) beside `error`. */
export function errorAnswer(err: HttpError, details: RunDetails, outcome?: Outcome): Answer {
  return {
    status: err.status,
    contentType: MEDIA_TYPE.json,
    body: Buffer.from(JSON.stringify({ ...err.body(), ...details }), 'utf8'),
    ...(outcome ? { outcome } : {}),
    reason: err.message,
    error: err.body().error,
  };
}
