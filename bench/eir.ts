/**
 * EIR stream server throughput: one training epoch through an EIR-like client (pipelined
 * heartbeat+getData), against the floor of the same bytes sent by a bare `ws` server that answers
 * every getData with a batch serialised in advance. The ratio is what the protocol layer costs.
 *
 * Run: `node --import tsx bench/eir.ts [samples] [batch]` (127.0.0.1 only).
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { startEirServer } from '../src/serve/eir/index.js';
import { trainingEpoch } from '../test/support/eir-client.js';
import { MemorySource } from '../test/serve/eir/memory-source.js';

/** One measured line. */
export interface EirBenchResult {
  samples: number;
  batch: number;
  berthMs: number;
  floorMs: number;
  samplesPerSecond: number;
  ratioToFloor: number;
}

/** Runs the benchmark once and returns the numbers. */
export async function benchEir(samples = 2_000, batch = 64): Promise<EirBenchResult> {
  const source = new MemorySource({ count: samples });
  for (const id of source.ids()) await source.sample(id); // build (and cache) every sample first
  source.loads.length = 0;
  const options = { recvMs: 30_000, validationMs: 5_000, backoffUnitMs: 1_000, maxIterations: 1_000_000 };

  const server = await startEirServer({ source });
  let t = performance.now();
  const epoch = await trainingEpoch(server.url, { batchSize: batch }, options);
  const berthMs = performance.now() - t;
  await server.close();
  if (epoch.samples.length !== samples)
    throw new Error(`epoch gave ${epoch.samples.length} of ${samples} samples`);

  // The floor: the same replies, pre-serialised, sent by a server that does nothing else.
  const all = await Promise.all(source.ids().map((id) => source.sample(id)));
  const batches: string[] = [];
  for (let i = 0; i < all.length; i += batch)
    batches.push(JSON.stringify({ type: 'data', payload: all.slice(i, i + batch) }));
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    let next = 0;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string };
      if (m.type === 'handshake') ws.send('{"type":"handshake","version":"1.0"}');
      else if (m.type === 'getInfo') ws.send(JSON.stringify({ type: 'info', payload: source.info() }));
      else if (m.type === 'heartbeat') ws.send('{"type":"heartbeat"}');
      else if (m.type === 'reset') {
        next = 0;
        ws.send('{"type":"resetConfirmation","payload":{"message":"ok"}}');
        ws.send('{"type":"reset","payload":{"message":"ok"}}');
      } else if (m.type === 'getData') ws.send(batches[next++] ?? '{"type":"data","payload":["terminate"]}');
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`;
  t = performance.now();
  const floor = await trainingEpoch(url, { batchSize: batch }, options);
  const floorMs = performance.now() - t;
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
  if (floor.samples.length < samples - batch) throw new Error('floor epoch incomplete');
  return {
    samples,
    batch,
    berthMs: Math.round(berthMs),
    floorMs: Math.round(floorMs),
    samplesPerSecond: Math.round((samples / berthMs) * 1000),
    ratioToFloor: Math.round((berthMs / floorMs) * 100) / 100,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [samples, batch] = process.argv.slice(2).map(Number);
  const result = await benchEir(samples || undefined, batch || undefined);
  console.log(JSON.stringify(result));
}
