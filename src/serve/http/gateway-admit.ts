/**
 * The gateway's admission stage: everything an invocation is checked for before its body is read
 * — open (503), auth (401), media type (415), declared size (413), run id (400/409), a place among
 * `concurrency + queue` (429 with Retry-After) — so a refused request costs nothing; then, before
 * the body is read, the wait for a run slot in arrival order.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ticket } from './admission.js';
import type { GatewayState, RequestState } from './gateway-state.js';
import { HttpError } from './http-error.js';
import { ACCEPTED_MEDIA_TYPES, wireFormatOf, type WireFormat } from './media-type.js';
import { RUN_ID_HEADER, isRunId, newRunId } from './run-id.js';

/** The admission hooks of one gateway, as fastify takes them. */
export interface GatewayHooks {
  checkOpen(): Promise<void>;
  checkAuth(request: FastifyRequest): Promise<void>;
  admit(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  waitForSlot(request: FastifyRequest): Promise<void>;
}

export function gatewayHooks(g: GatewayState): GatewayHooks {
  return {
    checkOpen: async () => checkOpen(g),
    checkAuth: async (request) => checkAuth(g, request),
    admit: async (request, reply) => admit(g, request, reply),
    waitForSlot: async (request) => waitForSlot(g, request),
  };
}

function checkOpen(g: GatewayState): void {
  if (g.shutdown.signal.aborted)
    throw HttpError.of('BERTH_E_HTTP_SHUTTING_DOWN', undefined, undefined, { connection: 'close' });
}

function checkAuth(g: GatewayState, request: FastifyRequest): void {
  if (g.auth && !g.auth.accepts(request.headers.authorization)) {
    throw HttpError.of('BERTH_E_HTTP_UNAUTHORIZED', undefined, undefined, {
      'www-authenticate': 'Bearer realm="berth"',
    });
  }
}

/** Everything an invocation is checked for before its body is read. */
async function admit(g: GatewayState, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  checkOpen(g);
  checkAuth(g, request);
  const format = formatOf(request);
  // A body declared too large is refused now, not after waiting for a slot.
  const declared = Number(request.headers['content-length']);
  if (declared > g.maxBody) {
    throw HttpError.of('BERTH_E_HTTP_TOO_LARGE', `The body is larger than ${g.maxBody} bytes`);
  }
  const runId = runIdOf(request);
  reply.header(RUN_ID_HEADER, runId);
  if (!g.runs.begin(runId)) {
    throw HttpError.of('BERTH_E_HTTP_RUN_ID_IN_USE', `The run id ${runId} was already posted`);
  }
  const ticket = takeTicket(g, runId);
  track(g, request, reply, {
    runId,
    format,
    ticket,
    controller: new AbortController(),
    inHandler: false,
    admittedAt: performance.now(),
  });
}

function formatOf(request: FastifyRequest): WireFormat {
  const format = wireFormatOf(request.headers['content-type']);
  if (format) return format;
  const given = request.headers['content-type'];
  throw HttpError.of(
    'BERTH_E_HTTP_MEDIA_TYPE',
    `${given ? `Content-Type ${JSON.stringify(given)}` : 'No Content-Type'}: the body must be ${ACCEPTED_MEDIA_TYPES}`,
  );
}

/** The run id the client chose, or a new one. */
function runIdOf(request: FastifyRequest): string {
  const given = request.headers[RUN_ID_HEADER.toLowerCase()];
  const runId = typeof given === 'string' ? given.trim() : newRunId();
  if (!isRunId(runId)) {
    throw HttpError.of(
      'BERTH_E_HTTP_RUN_ID',
      `The run id ${JSON.stringify(String(given))} is not usable`,
      undefined,
      {},
    );
  }
  return runId;
}

/** A place among `concurrency + queue`, or 429 with an honest Retry-After. */
function takeTicket(g: GatewayState, runId: string): Ticket {
  const ticket = g.admission.admit();
  if (ticket) return ticket;
  const retryAfter = Math.max(1, Math.ceil(g.meanRunMs / g.concurrency / 1000));
  const err = HttpError.of(
    'BERTH_E_HTTP_BUSY',
    `All ${g.concurrency} run slot(s) and ${g.queue} queue place(s) are taken; retry in ${retryAfter} s`,
    undefined,
    { 'retry-after': String(retryAfter) },
  );
  g.runs.reject(runId, { runId, status: 429, error: err.body().error });
  throw err;
}

/** Keeps the request's state, and gives its place back when it goes before its handler. */
function track(g: GatewayState, request: FastifyRequest, reply: FastifyReply, state: RequestState): void {
  const { runId, ticket, controller } = state;
  g.states.set(request.raw, state);
  const onShutdown = () => controller.abort('shutdown');
  g.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
  reply.raw.once('close', () => {
    clearTimeout(state.uploadTimer);
    g.shutdown.signal.removeEventListener('abort', onShutdown);
    if (!reply.raw.writableFinished) controller.abort('client');
    // A request that never reached its handler gives its place back here; one that did, there.
    if (state.inHandler) return;
    ticket.release();
    // Gone while uploading: the id is free again (no-op when the error handler said so already).
    const gone = HttpError.of('BERTH_E_HTTP_CLIENT_GONE');
    g.runs.reject(runId, { runId, status: gone.status, error: gone.body().error });
  });
}

/** Why a request stopped before its run: the gateway shut down (503) or the client went (499). */
export function abortError(g: GatewayState, state: RequestState): HttpError {
  return state.controller.signal.reason === 'shutdown' || g.shutdown.signal.aborted
    ? HttpError.of('BERTH_E_HTTP_SHUTTING_DOWN', 'The gateway shut down before the run started')
    : HttpError.of('BERTH_E_HTTP_CLIENT_GONE');
}

/**
 * Before the body is read: wait for a run slot, in arrival order. A queued request's body stays
 * in the client's socket (TCP pushes back), so the gateway holds at most `concurrency` bodies,
 * not `concurrency + queue`. Then the upload has `requestTimeoutMs` to arrive.
 */
async function waitForSlot(g: GatewayState, request: FastifyRequest): Promise<void> {
  const state = g.states.get(request.raw)!;
  g.runs.publish(state.runId, 'stage', { runId: state.runId, stage: 'queued', at: new Date().toISOString() });
  if (!(await state.ticket.acquire(state.controller.signal))) throw abortError(g, state);
  state.queuedMs = performance.now() - state.admittedAt;
  if (!request.raw.complete) {
    state.uploadTimer = setTimeout(() => {
      if (!request.raw.complete) request.raw.socket?.destroy();
    }, g.uploadMs).unref();
    request.raw.once('end', () => clearTimeout(state.uploadTimer));
  }
}
