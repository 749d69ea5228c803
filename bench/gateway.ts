/**
 * HTTP gateway throughput and latency: a trivial machine (a shell script echoing its input) served
 * by `startGateway` on loopback, requests posted by `fetch` at concurrency 1 and 8, 200 requests
 * per setting. The floor is the same machine run by `runCase` directly at the same concurrency:
 * what the harness costs without HTTP, so the ratio is what the gateway adds (admission, body
 * decoding into a tree, encoding the outputs, HTTP itself).
 *
 * Run: `node --import tsx bench/gateway.ts [requests]` (127.0.0.1 only).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { processDriver } from '../src/harness/drivers/process.js';
import { resolveMachine } from '../src/harness/machine.js';
import { runCase } from '../src/harness/run.js';
import { startGateway } from '../src/serve/http/gateway.js';

/** A machine that does as little as a machine can: read one value, write two. */
function trivialMachine(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-gw-'));
  writeFileSync(
    path.join(dir, 'machine.yaml'),
    [
      'metadata-version: 2',
      'info: {name: trivial}',
      'schema-in:',
      '  value: {type: string}',
      'schema-out:',
      '  length: {type: integer}',
      '  echo: {type: string}',
      'berth:',
      '  command: [/bin/sh, machine.sh]',
    ].join('\n') + '\n',
  );
  writeFileSync(
    path.join(dir, 'machine.sh'),
    'v=$(cat "$BERTH_INPUT/value")\nprintf %s "${#v}" > "$BERTH_OUTPUT/length"\nprintf %s "$v" > "$BERTH_OUTPUT/echo"\n',
  );
  return dir;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One measured setting. */
export interface GatewaySetting {
  concurrency: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Mean of the answers' own timing: decoding and encoding inside the gateway. */
  decodeMs: number;
  encodeMs: number;
}

async function measure(url: string, concurrency: number, requests: number): Promise<GatewaySetting> {
  const latencies: number[] = [];
  let decode = 0;
  let encode = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const t = performance.now();
        const res = await fetch(`${url}/invocations`, {
          method: 'POST',
          body: JSON.stringify({ value: `request ${i}` }),
          headers: { 'content-type': 'application/json' },
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json()) as { timing?: { decodeMs: number; encodeMs: number } };
        latencies.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`request ${i}: ${res.status} ${JSON.stringify(body)}`);
        decode += body.timing?.decodeMs ?? 0;
        encode += body.timing?.encodeMs ?? 0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    requests,
    requestsPerSecond: requests / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    decodeMs: decode / requests,
    encodeMs: encode / requests,
  };
}

/** Runs the benchmark and reports it line by line. */
export async function benchGateway(report: (line: string) => void, requests = 200): Promise<void> {
  const dir = trivialMachine();
  const work = path.join(dir, 'work');
  mkdirSync(work);
  try {
    const machine = await resolveMachine(dir);
    const caseDir = path.join(dir, 'case');
    mkdirSync(caseDir);
    writeFileSync(path.join(caseDir, 'value'), 'request 0');
    /** The floor: the harness alone on the same machine, `concurrency` runs at a time, no HTTP. */
    const floor = async (concurrency: number, runs: number): Promise<number> => {
      let next = 0;
      const t = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < runs) {
            const result = await runCase({
              definition: machine.definition,
              machineDir: dir,
              case: {
                name: 'floor',
                path: caseDir,
                baseDir: caseDir,
                inputDir: caseDir,
                expectedOutcome: 'passed',
                tolerances: {},
              },
              driver: processDriver,
              command: machine.command!,
            });
            await result.cleanup();
            if (result.report.outcome !== 'passed') throw new Error(result.report.reason);
          }
        }),
      );
      return runs / ((performance.now() - t) / 1000);
    };

    report(
      `HTTP gateway: a trivial /bin/sh machine, ${requests} JSON requests per setting (loopback, process driver, ${os.availableParallelism()} cores)`,
    );
    for (const concurrency of [1, 8]) {
      await floor(concurrency, Math.min(10, requests)); // warm up
      const floorRate = await floor(concurrency, requests);
      const gw = await startGateway({ machine, port: 0, concurrency, queue: concurrency, workRoot: work });
      try {
        await measure(gw.url, concurrency, Math.min(10, requests)); // warm up
        const r = await measure(gw.url, concurrency, requests);
        report(
          `  concurrency ${String(concurrency).padEnd(2)} runCase alone (floor)  ${floorRate.toFixed(0).padStart(5)} runs/s`,
        );
        report(
          `  concurrency ${String(concurrency).padEnd(2)} gateway               ${r.requestsPerSecond.toFixed(0).padStart(5)} req/s   ` +
            `p50 ${r.p50Ms.toFixed(1).padStart(6)} ms   p99 ${r.p99Ms.toFixed(1).padStart(6)} ms   ` +
            `${(r.requestsPerSecond / floorRate).toFixed(2)}× floor rate (decode ${r.decodeMs.toFixed(2)} ms, encode ${r.encodeMs.toFixed(2)} ms)`,
        );
      } finally {
        await gw.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2] ?? 200);
  await benchGateway((line) => console.log(line), Number.isSafeInteger(n) && n > 0 ? n : 200);
}
