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
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { gatewayHooks } from './gateway-admit.js';
import { addGatewayRoutes } from './gateway-routes.js';
import { gatewayServer } from './gateway-server.js';
import { gatewayState, type GatewayState } from './gateway-state.js';
import type { Gateway, GatewayOptions } from './options.js';

export type { Gateway, GatewayOptions, RequestLogEntry } from './options.js';

/** Starts a gateway and resolves once it listens. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const g = await gatewayState(options);
  const app = gatewayServer(g);
  addGatewayRoutes(app, g, gatewayHooks(g));
  const port = await listen(app, g);
  return { url: g.url, port, workRoot: g.workRoot, admitted: () => g.admission.size, close: closer(app, g) };
}

/** Listens, and keeps the address clients use; resolves to the port. */
async function listen(app: FastifyInstance, g: GatewayState): Promise<number> {
  await app.listen({ host: g.options.host ?? '127.0.0.1', port: g.options.port ?? 8080 });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  g.url = `http://${host}:${address.port}`;
  return address.port;
}

/** The gateway's `close`: once, however often it is called. */
function closer(app: FastifyInstance, g: GatewayState): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      g.shutdown.abort();
      // No new connections; idle keep-alive ones are closed by Node, busy ones after their answer.
      app.server.close();
      await Promise.allSettled([...g.inflight]);
      g.runs.close();
      // Answers are all written by now; a connection still open past the grace is abandoned.
      const force = setTimeout(() => app.server.closeAllConnections(), g.closeGraceMs).unref();
      await app.close();
      clearTimeout(force);
      if (g.ownWorkRoot) await rm(g.workRoot, { recursive: true, force: true, maxRetries: 3 });
    })());
}
