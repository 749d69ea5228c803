/**
 * `berth serve`: a machine behind HTTP. `POST /invocations` (and `/predict`) takes an inputs
 * document as JSON or msgpack, runs the machine on it through the harness, and answers with the
 * outputs document in the same format; `GET /runs/:id/events` streams a run's progress;
 * `GET /openapi.json` describes it all from the manifest; `GET /ping` says it is up.
 *
 * Requests are admitted before their bodies are read: auth (401), media type (415), run id
 * (400/409), then a place among `concurrency + queue` (429 with Retry-After) — so a refused
 * request costs nothing. A body is read only once its request holds a run slot, so queued
 * requests hold no body in memory. Bodies are limited by fastify's bodyLimit (413).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fastify, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { boundedText } from '../../errors.js';
import type { Outcome } from '../../harness/outcome.js';
import { Admission, type Ticket } from './admission.js';
import { BearerAuth } from './auth.js';
import { HttpError, clientErrorResponse, fromFastifyError } from './http-error.js';
import { checkGatewayOptions, type Gateway, type GatewayOptions } from './options.js';
import { errorAnswer, invoke, type InvokeContext } from './invoke.js';
import { ACCEPTED_MEDIA_TYPES, wireFormatOf, type WireFormat } from './media-type.js';
import { openApiDocument } from './openapi.js';
import { RUN_ID_HEADER, isRunId, newRunId } from './run-id.js';
import { RunLog } from './run-log.js';
import { streamRunEvents } from './sse.js';
import { wireCodecWith } from './wire-codec.js';

export type { Gateway, GatewayOptions, RequestLogEntry } from './options.js';

/** What each invocation request carries from its hooks to its handler. */
interface RequestState {
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

/** Starts a gateway and resolves once it listens. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { machine, driver, command, launch, concurrency, queue, maxBody, limits } =
    await checkGatewayOptions(options);
  const ownWorkRoot = options.workRoot === undefined;
  const workRoot = ownWorkRoot
    ? await mkdtemp(path.join(os.tmpdir(), 'berth-gateway-'))
    : path.resolve(options.workRoot!);
  if (!ownWorkRoot) await mkdir(workRoot, { recursive: true });

  const auth = options.token === undefined ? undefined : new BearerAuth(options.token);
  const admission = new Admission(concurrency, queue);
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
  };
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const closeGraceMs = options.closeGraceMs ?? 5_000;
  const shutdown = new AbortController();
  const inflight = new Set<Promise<unknown>>();
  const states = new WeakMap<IncomingMessage, RequestState>();
  // Recent run durations, for an honest Retry-After: about when a slot frees up.
  let meanRunMs = 1000;

  const refuse = (err: HttpError, reply: FastifyReply) =>
    reply
      .code(err.status)
      .headers(err.headers)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(err.body()));
  const uploadMs = options.requestTimeoutMs ?? 5 * 60_000;
  const app = fastify({
    logger: false,
    bodyLimit: maxBody,
    // Node's own request timeout would count the time a request waits for a slot with its body
    // unread; the upload deadline starts when the body may be read instead (waitForSlot).
    requestTimeout: 0,
    // Closing is handled here, to answer in the gateway's own error format.
    return503OnClosing: false,
    // So are fastify's and Node's own refusals: every error body is berth's, with a code.
    clientErrorHandler: (error, socket) => {
      if (socket.writable) socket.end(clientErrorResponse(error as { code?: string }));
      else socket.destroy();
    },
    frameworkErrors: (error, _request, reply) =>
      refuse(HttpError.of('BERTH_E_HTTP_BAD_REQUEST', boundedText(error)), reply),
  });
  app.removeAllContentTypeParsers();
  // Bodies stay bytes: the codec parses them, so that every format error is its typed error.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const err = fromFastifyError(error, maxBody);
    const state = states.get(request.raw);
    // A post refused before its run (body too large, say) leaves its run id free for a retry.
    if (state && !state.inHandler)
      runs.reject(state.runId, { runId: state.runId, status: err.status, error: err.body().error });
    if (state) reply.header(RUN_ID_HEADER, state.runId);
    return refuse(err, reply);
  });
  app.setNotFoundHandler((request, reply) =>
    refuse(
      HttpError.of('BERTH_E_HTTP_NOT_FOUND', `There is no ${request.method} ${request.url.split('?')[0]}`),
      reply,
    ),
  );
  app.addHook('onSend', async (_request, reply) => {
    if (shutdown.signal.aborted) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const state = states.get(request.raw);
    options.onRequestDone?.({
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: reply.elapsedTime,
      ...(state ? { runId: state.runId } : {}),
      ...(state?.outcome ? { outcome: state.outcome } : {}),
    });
  });

  const checkOpen = async () => {
    if (shutdown.signal.aborted)
      throw HttpError.of('BERTH_E_HTTP_SHUTTING_DOWN', undefined, undefined, { connection: 'close' });
  };
  const checkAuth = async (request: FastifyRequest) => {
    if (auth && !auth.accepts(request.headers.authorization)) {
      throw HttpError.of('BERTH_E_HTTP_UNAUTHORIZED', undefined, undefined, {
        'www-authenticate': 'Bearer realm="berth"',
      });
    }
  };

  /** Everything an invocation is checked for before its body is read. */
  const admit = async (request: FastifyRequest, reply: FastifyReply) => {
    await checkOpen();
    await checkAuth(request);
    const format = wireFormatOf(request.headers['content-type']);
    if (!format) {
      const given = request.headers['content-type'];
      throw HttpError.of(
        'BERTH_E_HTTP_MEDIA_TYPE',
        `${given ? `Content-Type ${JSON.stringify(given)}` : 'No Content-Type'}: the body must be ${ACCEPTED_MEDIA_TYPES}`,
      );
    }
    // A body declared too large is refused now, not after waiting for a slot.
    const declared = Number(request.headers['content-length']);
    if (declared > maxBody) {
      throw HttpError.of('BERTH_E_HTTP_TOO_LARGE', `The body is larger than ${maxBody} bytes`);
    }
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
    reply.header(RUN_ID_HEADER, runId);
    if (!runs.begin(runId)) {
      throw HttpError.of('BERTH_E_HTTP_RUN_ID_IN_USE', `The run id ${runId} was already posted`);
    }
    const ticket = admission.admit();
    if (!ticket) {
      const retryAfter = Math.max(1, Math.ceil(meanRunMs / concurrency / 1000));
      const err = HttpError.of(
        'BERTH_E_HTTP_BUSY',
        `All ${concurrency} run slot(s) and ${queue} queue place(s) are taken; retry in ${retryAfter} s`,
        undefined,
        { 'retry-after': String(retryAfter) },
      );
      runs.reject(runId, { runId, status: 429, error: err.body().error });
      throw err;
    }
    const controller = new AbortController();
    const state: RequestState = {
      runId,
      format,
      ticket,
      controller,
      inHandler: false,
      admittedAt: performance.now(),
    };
    states.set(request.raw, state);
    const onShutdown = () => controller.abort('shutdown');
    shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    reply.raw.once('close', () => {
      clearTimeout(state.uploadTimer);
      shutdown.signal.removeEventListener('abort', onShutdown);
      if (!reply.raw.writableFinished) controller.abort('client');
      // A request that never reached its handler gives its place back here; one that did, there.
      if (state.inHandler) return;
      ticket.release();
      // Gone while uploading: the id is free again (no-op when the error handler said so already).
      const gone = HttpError.of('BERTH_E_HTTP_CLIENT_GONE');
      runs.reject(runId, { runId, status: gone.status, error: gone.body().error });
    });
  };

  const abortError = (state: RequestState) =>
    state.controller.signal.reason === 'shutdown' || shutdown.signal.aborted
      ? HttpError.of('BERTH_E_HTTP_SHUTTING_DOWN', 'The gateway shut down before the run started')
      : HttpError.of('BERTH_E_HTTP_CLIENT_GONE');

  /**
   * Before the body is read: wait for a run slot, in arrival order. A queued request's body stays
   * in the client's socket (TCP pushes back), so the gateway holds at most `concurrency` bodies,
   * not `concurrency + queue`. Then the upload has `requestTimeoutMs` to arrive.
   */
  const waitForSlot = async (request: FastifyRequest) => {
    const state = states.get(request.raw)!;
    runs.publish(state.runId, 'stage', { runId: state.runId, stage: 'queued', at: new Date().toISOString() });
    if (!(await state.ticket.acquire(state.controller.signal))) throw abortError(state);
    state.queuedMs = performance.now() - state.admittedAt;
    if (!request.raw.complete) {
      state.uploadTimer = setTimeout(() => {
        if (!request.raw.complete) request.raw.socket?.destroy();
      }, uploadMs).unref();
      request.raw.once('end', () => clearTimeout(state.uploadTimer));
    }
  };

  const invocation = async (request: FastifyRequest, reply: FastifyReply) => {
    const state = states.get(request.raw)!;
    state.inHandler = true;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    // The invocation holds the body only until it is decoded (a queued one holds it meanwhile).
    request.body = undefined;
    const run = invoke(ctx, {
      runId: state.runId,
      format: state.format,
      body,
      ticket: state.ticket,
      queuedMs: state.queuedMs ?? 0,
      signal: state.controller.signal,
      abortError: () => abortError(state),
    });
    inflight.add(run);
    try {
      const answer = await run;
      if (answer.runMs !== undefined) meanRunMs = 0.8 * meanRunMs + 0.2 * answer.runMs;
      if (answer.outcome) state.outcome = answer.outcome;
      return reply.code(answer.status).type(answer.contentType).send(answer.body);
    } catch (e) {
      // invoke() answers every failure itself; this is a last guard against a bug.
      const err = HttpError.of('BERTH_E_INTERNAL', `berth failed unexpectedly: ${boundedText(e)}`);
      return reply
        .code(500)
        .type('application/json; charset=utf-8')
        .send(errorAnswer(err, { runId: state.runId }).body);
    } finally {
      state.ticket.release();
      inflight.delete(run);
    }
  };

  for (const url of ['/invocations', '/predict']) {
    app.post(url, { onRequest: admit, preParsing: waitForSlot }, invocation);
  }
  app.get('/ping', async (_request, reply) => {
    await checkOpen();
    return reply.type('application/json; charset=utf-8').send('{"ok":true}');
  });
  let openapi: string | undefined;
  app.get('/openapi.json', { onRequest: [checkOpen, checkAuth] }, async (_request, reply) => {
    openapi ??= JSON.stringify(
      openApiDocument(machine.definition, {
        auth: auth !== undefined,
        // An unspecified address (0.0.0.0, ::) is no URL a client could use.
        ...(/^http:\/\/(0\.0\.0\.0|\[::\]):/.test(url) ? {} : { url }),
      }),
      null,
      2,
    );
    return reply.type('application/json; charset=utf-8').send(openapi);
  });
  app.get<{ Params: { id: string } }>(
    '/runs/:id/events',
    { onRequest: [checkOpen, checkAuth] },
    async (request, reply) => {
      const runId = request.params.id;
      if (!isRunId(runId))
        throw HttpError.of('BERTH_E_HTTP_RUN_ID', `The run id ${JSON.stringify(runId)} is not usable`);
      if (!runs.accepts(runId)) {
        throw HttpError.of('BERTH_E_HTTP_BUSY', 'Too many run ids are waiting to be posted', undefined, {
          'retry-after': '5',
        });
      }
      const last = Number(request.headers['last-event-id'] ?? 0);
      reply.hijack();
      streamRunEvents(runs, reply.raw, {
        runId,
        lastEventId: Number.isSafeInteger(last) && last > 0 ? last : 0,
        heartbeatMs,
        ...(options.eventBufferBytes === undefined ? {} : { maxBufferedBytes: options.eventBufferBytes }),
      });
    },
  );

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      shutdown.abort();
      // No new connections; idle keep-alive ones are closed by Node, busy ones after their answer.
      app.server.close();
      await Promise.allSettled([...inflight]);
      runs.close();
      // Answers are all written by now; a connection still open past the grace is abandoned.
      const force = setTimeout(() => app.server.closeAllConnections(), closeGraceMs).unref();
      await app.close();
      clearTimeout(force);
      if (ownWorkRoot) await rm(workRoot, { recursive: true, force: true, maxRetries: 3 });
    })());

  return { url, port: address.port, workRoot, admitted: () => admission.size, close };
}
