/**
 * The gateway's routes: `POST /invocations` (and `/predict`) run the machine on the body,
 * `GET /ping`, `GET /openapi.json` from the manifest, `GET /runs/:id/events` a run's progress.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { boundedText } from '../../errors.js';
import { abortError, type GatewayHooks } from './gateway-admit.js';
import type { GatewayState } from './gateway-state.js';
import { HttpError } from './http-error.js';
import { errorAnswer, invoke } from './invoke.js';
import { openApiDocument } from './openapi.js';
import { isRunId } from './run-id.js';
import { streamRunEvents } from './sse.js';

/** Adds every route to `app`, guarded by `hooks`. */
export function addGatewayRoutes(app: FastifyInstance, g: GatewayState, hooks: GatewayHooks): void {
  const invocation = async (request: FastifyRequest, reply: FastifyReply) => invokeRoute(g, request, reply);
  for (const url of ['/invocations', '/predict']) {
    app.post(url, { onRequest: hooks.admit, preParsing: hooks.waitForSlot }, invocation);
  }
  app.get('/ping', async (_request, reply) => {
    await hooks.checkOpen();
    return reply.type('application/json; charset=utf-8').send('{"ok":true}');
  });
  let openapi: string | undefined;
  app.get('/openapi.json', { onRequest: [hooks.checkOpen, hooks.checkAuth] }, async (_request, reply) => {
    openapi ??= JSON.stringify(
      openApiDocument(g.ctx.machine.definition, {
        auth: g.auth !== undefined,
        // An unspecified address (0.0.0.0, ::) is no URL a client could use.
        ...(/^http:\/\/(0\.0\.0\.0|\[::\]):/.test(g.url) ? {} : { url: g.url }),
      }),
      null,
      2,
    );
    return reply.type('application/json; charset=utf-8').send(openapi);
  });
  app.get<{ Params: { id: string } }>(
    '/runs/:id/events',
    { onRequest: [hooks.checkOpen, hooks.checkAuth] },
    async (request, reply) => eventsRoute(g, request.params.id, request, reply),
  );
}

/** Runs the machine on an admitted request's body and answers its outputs. */
async function invokeRoute(
  g: GatewayState,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const state = g.states.get(request.raw)!;
  state.inHandler = true;
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  // The invocation holds the body only until it is decoded (a queued one holds it meanwhile).
  request.body = undefined;
  const run = invoke(g.ctx, {
    runId: state.runId,
    format: state.format,
    body,
    ticket: state.ticket,
    queuedMs: state.queuedMs ?? 0,
    signal: state.controller.signal,
    abortError: () => abortError(g, state),
  });
  g.inflight.add(run);
  try {
    const answer = await run;
    if (answer.runMs !== undefined) g.meanRunMs = 0.8 * g.meanRunMs + 0.2 * answer.runMs;
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
    g.inflight.delete(run);
  }
}

/** Streams a run's events (server-sent events), also for a run id not posted yet. */
function eventsRoute(g: GatewayState, runId: string, request: FastifyRequest, reply: FastifyReply): void {
  if (!isRunId(runId))
    throw HttpError.of('BERTH_E_HTTP_RUN_ID', `The run id ${JSON.stringify(runId)} is not usable`);
  if (!g.runs.accepts(runId)) {
    throw HttpError.of('BERTH_E_HTTP_BUSY', 'Too many run ids are waiting to be posted', undefined, {
      'retry-after': '5',
    });
  }
  const last = Number(request.headers['last-event-id'] ?? 0);
  reply.hijack();
  streamRunEvents(g.runs, reply.raw, {
    runId,
    lastEventId: Number.isSafeInteger(last) && last > 0 ? last : 0,
    heartbeatMs: g.heartbeatMs,
    ...(g.options.eventBufferBytes === undefined ? {} : { maxBufferedBytes: g.options.eventBufferBytes }),
  });
}
