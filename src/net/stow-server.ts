/**
 * DICOMweb STOW-RS on fastify: `POST /dicom-web/studies[/{study}]` with a
 * `multipart/related; type="application/dicom"` body, each part streamed to disk; one request is
 * one staging batch, committed before the response. Answers the PS3.18 `application/dicom+json`
 * body: 200 all stored, 202 some failed, 409 none stored; a malformed request is a 4xx with a code.
 */
import type { Readable } from 'node:stream';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { isBerthError, toBerthError } from '../errors.js';
import { BearerAuth } from '../serve/http/auth.js';
import { HttpError } from '../serve/http/http-error.js';
import { isSpoolUid } from './instance-writer.js';
import { parseMediaType } from './multipart.js';
import type { ReceiveEventSink } from './receive-events.js';
import type { ListenSink } from './sink.js';
import { receiveParts, stowResponse } from './stow-receive.js';

export interface StowOptions {
  /** Interface to listen on (`--host`). Default 127.0.0.1. */
  readonly host?: string;
  /** HTTP port (`--http-port`); 0 picks a free one. */
  readonly port: number;
  /** Require `Authorization: Bearer <token>` (`--token`). */
  readonly token?: string;
  /** Most instances (parts) in one request (`--max-stow-parts`). Default 10000. */
  readonly maxParts?: number;
  readonly onEvent?: ReceiveEventSink;
}

export const DEFAULT_MAX_STOW_PARTS = 10_000;
/** Request headers berth reads at most (as the HTTP gateway). */
const MAX_HEADER_BYTES = 16 * 1024;

export interface StowServer {
  readonly port: number;
  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then closes their sockets. */
  close(graceMs: number): Promise<void>;
}

type StowRequest = FastifyRequest<{ Params: { study?: string } }>;

export async function startStowServer(options: StowOptions, sink: ListenSink): Promise<StowServer> {
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: 128 },
    http: { maxHeaderSize: MAX_HEADER_BYTES },
  });
  const auth = options.token === undefined ? undefined : new BearerAuth(options.token);
  const onEvent = options.onEvent ?? (() => undefined);
  app.removeAllContentTypeParsers();
  // Every body reaches the handler as the raw stream: it checks the media type itself.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.addHook('onRequest', async (request) => {
    if (auth && !auth.accepts(request.headers.authorization)) {
      throw HttpError.of('BERTH_E_HTTP_UNAUTHORIZED', undefined, undefined, {
        'www-authenticate': 'Bearer realm="berth"',
      });
    }
  });
  const handler = (request: StowRequest, reply: FastifyReply) =>
    store(request, reply, sink, { maxParts: options.maxParts ?? DEFAULT_MAX_STOW_PARTS, onEvent });
  app.post('/dicom-web/studies', handler);
  app.post('/dicom-web/studies/:study', handler);
  app.setNotFoundHandler((request, reply) =>
    refuse(
      HttpError.of('BERTH_E_HTTP_NOT_FOUND', `There is no ${request.method} ${request.url.split('?')[0]}`),
      reply,
    ),
  );
  app.setErrorHandler((error, _request, reply) => refuse(asHttpError(error), reply));
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: async (graceMs) => {
      const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
      app.server.closeIdleConnections();
      await app.close();
      clearTimeout(timer);
    },
  };
}

async function store(
  request: StowRequest,
  reply: FastifyReply,
  sink: ListenSink,
  o: { maxParts: number; onEvent: ReceiveEventSink },
): Promise<FastifyReply> {
  const study = request.params.study;
  if (study !== undefined && !isSpoolUid(study)) {
    throw HttpError.of(
      'BERTH_E_LISTEN_RECEIVE_UID_MISMATCH',
      `The study UID ${JSON.stringify(study.slice(0, 80))} is not a UID`,
    );
  }
  const boundary = boundaryOf(request.headers['content-type']);
  if (await sink.full()) throw HttpError.of('BERTH_E_LISTEN_RECEIVE_FULL');
  const batch = await sink.open({
    protocol: 'stow',
    remote: `${request.ip}:${request.socket.remotePort ?? '?'}`,
  });
  let result;
  try {
    result = await receiveParts(request.body as Readable, batch, {
      boundary,
      study,
      maxParts: o.maxParts,
      isFull: () => sink.full(),
      onEvent: o.onEvent,
    });
  } catch (e) {
    await batch.discard();
    o.onEvent({ event: 'batch-discarded', batch: batch.id, reason: toBerthError(e).message });
    throw e;
  }
  const { groups } = await batch.commit();
  o.onEvent({
    event: 'batch-committed',
    batch: batch.id,
    groups: groups.map((g) => g.key),
    instances: result.stored.length,
  });
  const { status, body } = stowResponse(result);
  return reply.code(status).type('application/dicom+json').send(JSON.stringify(body));
}

/** The boundary of a `multipart/related; type="application/dicom"` Content-Type, or a 415/400. */
function boundaryOf(contentType: string | undefined): string {
  const m = parseMediaType(contentType);
  const type = m?.params.get('type')?.toLowerCase();
  if (!m || m.type !== 'multipart/related' || (type !== undefined && type !== 'application/dicom')) {
    throw HttpError.of(
      'BERTH_E_LISTEN_STOW_MEDIA_TYPE',
      `The body is ${JSON.stringify((contentType ?? 'without a Content-Type').slice(0, 120))}, not multipart/related; type="application/dicom"`,
    );
  }
  const boundary = m.params.get('boundary');
  if (boundary === undefined)
    throw HttpError.of('BERTH_E_LISTEN_STOW_MULTIPART', 'The Content-Type has no boundary');
  return boundary;
}

function asHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  // The detail, not the message: the message may name a path of the spool.
  if (isBerthError(error)) return HttpError.of(error.code, error.detail);
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, 'BERTH_E_HTTP_BAD_REQUEST', 'The HTTP request is malformed');
  }
  return HttpError.of('BERTH_E_INTERNAL', toBerthError(error).message);
}

function refuse(err: HttpError, reply: FastifyReply): FastifyReply {
  return reply
    .code(err.status)
    .headers(err.headers)
    .type('application/json')
    .send(JSON.stringify(err.body()));
}
