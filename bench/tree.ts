/**
 * Tree validation and reading against their physical floor, side by side in one run, on trees of
 * 10,000 primitive value files: raw `fs.readFile` of exactly those files (paths known in advance,
 * nothing listed, nothing parsed), `checkTree` (list + classify + read + validate), and
 * `inputs.read()` (list + classify + read + decode). All read with the same concurrency (64
 * files in flight). The floor is the faster of `fs.promises.readFile` and callback `fs.readFile`.
 * Target: ours ≤ 2× the floor.
 *
 * Run: `npm run build && node --import tsx bench/tree.ts` (add `--expose-gc` for steadier figures).
 * It measures the built code in dist/, which is what users run (tsx adds its own overhead).
 */
import { readFile as readFileCb } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadMachine } from '../dist/check/manifest.js';
import { checkTree } from '../dist/check/tree.js';
import { openMachine } from '../dist/sdk/machine.js';

const FILES = 10_000;
const OBJECT_MEMBERS = 5;
const CONCURRENCY = 64;
const WARM = 2;
const RUNS = 9;
const TARGET = 2;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Median wall time, best wall time and median CPU time (ms, all threads) of one function. */
interface Timing {
  median: number;
  best: number;
  cpu: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * Times each function, taking turns so drift in the machine hits them alike. CPU time (user +
 * system, of the whole process: the main thread and libuv's pool) is reported beside wall time
 * because it is far less disturbed by other load on a shared machine.
 */
async function timings(...fns: (() => Promise<unknown>)[]): Promise<Timing[]> {
  const wall: number[][] = fns.map(() => []);
  const cpu: number[][] = fns.map(() => []);
  for (let i = 0; i < WARM + RUNS; i++) {
    for (const [k, fn] of fns.entries()) {
      gc();
      const c = process.cpuUsage();
      const t = performance.now();
      await fn();
      const ms = performance.now() - t;
      const used = process.cpuUsage(c);
      if (i >= WARM) {
        wall[k]?.push(ms);
        cpu[k]?.push((used.user + used.system) / 1000);
      }
    }
  }
  return fns.map((_, k) => ({
    median: median(wall[k]!),
    best: Math.min(...wall[k]!),
    cpu: median(cpu[k]!),
  }));
}

/** Reads every path with `limit` reads in flight, with `read`: the floor ours is held to. */
async function rawReads(
  paths: readonly string[],
  limit: number,
  read: (path: string) => Promise<Buffer>,
): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) bytes += (await read(paths[next++]!)).length;
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return bytes;
}

/** `fs.readFile` with a callback (no FileHandle): usually faster than the promise API for small files. */
const readFileCallback = (path: string): Promise<Buffer> =>
  new Promise((resolve, reject) => readFileCb(path, (e, b) => (e ? reject(e) : resolve(b))));

const SCHEMA = {
  numbers: { type: 'array', items: { type: 'integer' } },
  records: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        id: { type: 'integer', minimum: 0 },
        score: { type: 'number' },
        ok: { type: 'boolean' },
        share: { type: 'percentage', maximum: 100 },
        at: { type: 'date-time' },
      },
    },
  },
};

interface Fixture {
  manifest: string;
  /** One tree per case, each holding only that case's property (the other is in the schema, nullable). */
  trees: { name: string; root: string; paths: string[] }[];
}

async function makeFixture(dir: string): Promise<Fixture> {
  const manifest = join(dir, 'machine.json');
  const nullable = (def: object) => ({ ...def, nullable: true });
  await writeFile(
    manifest,
    JSON.stringify({
      'metadata-version': 2,
      info: { name: 'bench-tree' },
      'schema-in': { numbers: nullable(SCHEMA.numbers), records: nullable(SCHEMA.records) },
      'schema-out': {},
    }),
  );
  const numbersRoot = join(dir, 'numbers');
  const numbers: string[] = [];
  await mkdir(join(numbersRoot, 'numbers'), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const p = join(numbersRoot, 'numbers', String(i));
    await writeFile(p, String(i * 7919));
    numbers.push(p);
  }
  const recordsRoot = join(dir, 'records');
  const records: string[] = [];
  for (let i = 0; i < FILES / OBJECT_MEMBERS; i++) {
    const item = join(recordsRoot, 'records', String(i));
    await mkdir(item, { recursive: true });
    const values: Record<string, string> = {
      id: String(i),
      score: String(i / 3),
      ok: i % 2 ? 'True' : 'False',
      share: `${i % 100}%`,
      at: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(),
    };
    for (const [k, v] of Object.entries(values)) {
      await writeFile(join(item, k), v);
      records.push(join(item, k));
    }
  }
  return {
    manifest,
    trees: [
      { name: `array of ${FILES} integers`, root: numbersRoot, paths: numbers },
      {
        name: `${FILES / OBJECT_MEMBERS} objects × ${OBJECT_MEMBERS} primitives`,
        root: recordsRoot,
        paths: records,
      },
    ],
  };
}

/** Runs the tree benchmark, reporting one line per measurement. */
export async function benchTree(report: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-tree-'));
  try {
    const fx = await makeFixture(dir);
    const definition = await loadMachine(fx.manifest);
    report(
      `tree: ${FILES} primitive value files per tree, ${CONCURRENCY} reads in flight, median of ${RUNS} (after ${WARM} warm-up)`,
    );
    for (const tree of fx.trees) {
      const machine = await openMachine({
        manifest: fx.manifest,
        input: tree.root,
        output: join(dir, 'out'),
        status: join(dir, 'status'),
        captureErrors: false,
      });
      // Sanity: the tree is valid and reads completely.
      const findings = await checkTree(definition, 'in', tree.root, { concurrency: CONCURRENCY });
      if (findings.length > 0) throw new Error(`bench tree is invalid: ${findings[0]?.message}`);
      const [rawPromise, rawCallback, check, read] = await timings(
        () => rawReads(tree.paths, CONCURRENCY, (p) => readFile(p)),
        () => rawReads(tree.paths, CONCURRENCY, readFileCallback),
        () => checkTree(definition, 'in', tree.root, { concurrency: CONCURRENCY }),
        () => machine.inputs.read(),
      );
      report(`  ${tree.name}`);
      // The floor is the faster of the two raw variants (by median wall time).
      const floor = rawPromise!.median <= rawCallback!.median ? rawPromise! : rawCallback!;
      const line = (name: string, t: Timing, vs?: Timing): string => {
        let s =
          `    ${name.padEnd(31)} wall ${t.median.toFixed(0).padStart(5)} ms (best ${t.best.toFixed(0).padStart(4)})` +
          ` cpu ${t.cpu.toFixed(0).padStart(5)} ms ${((FILES / t.median) * 1000).toFixed(0).padStart(6)} files/s`;
        if (vs !== undefined) {
          const ratio = t.median / vs.median;
          s +=
            `  ${ratio.toFixed(2)}× floor (cpu ${(t.cpu / vs.cpu).toFixed(2)}×, best ${(t.best / vs.best).toFixed(2)}×;` +
            ` target ≤ ${TARGET}×) ${ratio <= TARGET ? 'ok' : 'ABOVE TARGET'}`;
        }
        return s;
      };
      report(line('raw fs.promises.readFile', rawPromise!));
      report(line('raw fs.readFile (callback)', rawCallback!));
      report(line('checkTree (read + validate)', check!, floor));
      report(line('inputs.read() (read + decode)', read!, floor));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchTree((line) => console.log(line));
}
