/**
 * The gateway's server: fastify set up so that bodies stay bytes and every refusal — fastify's,
 * Node's, a missing route, a hook's — is answered in berth's error format, with the run id.
 */
import { fastify, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { boundedText } from '../../errors.js';
import type { GatewayState } from './gateway-state.js';
import { HttpError, clientErrorResponse, fromFastifyError } from './http-error.js';
import { RUN_ID_HEADER } from './run-id.js';

/** Answers `err` as berth's JSON error body. */
export function refuse(err: HttpError, reply: FastifyReply): FastifyReply {
  return reply
    .code(err.status)
    .headers(err.headers)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(err.body()));
}

/** A fastify instance with the gateway's parsers, error handlers and hooks (no routes yet). */
export function gatewayServer(g: GatewayState): FastifyInstance {
  const app = fastify({
    logger: false,
    bodyLimit: g.maxBody,
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
  addErrorHandlers(app, g);
  addHooks(app, g);
  return app;
}

function addErrorHandlers(app: FastifyInstance, g: GatewayState): void {
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const err = fromFastifyError(error, g.maxBody);
    const state = g.states.get(request.raw);
    // A post refused before its run (body too large, say) leaves its run id free for a retry.
    if (state && !state.inHandler)
      g.runs.reject(state.runId, { runId: state.runId, status: err.status, error: err.body().error });
    if (state) reply.header(RUN_ID_HEADER, state.runId);
    return refuse(err, reply);
  });
  app.setNotFoundHandler((request, reply) =>
    refuse(
      HttpError.of('BERTH_E_HTTP_NOT_FOUND', `There is no ${request.method} ${request.url.split('?')[0]}`),
      reply,
    ),
  );
}

function addHooks(app: FastifyInstance, g: GatewayState): void {
  app.addHook('onSend', async (_request, reply) => {
    if (g.shutdown.signal.aborted) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const state = g.states.get(request.raw);
    g.options.onRequestDone?.({
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: reply.elapsedTime,
      ...(state ? { runId: state.runId } : {}),
      ...(state?.outcome ? { outcome: state.outcome } : {}),
    });
  });
}
