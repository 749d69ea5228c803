/**
 * ndarray codecs against their physical floors, side by side in one run, on one 256 MiB float32
 * array: .npy read and write against raw `fs.readFile` / `fs.writeFile` of the same bytes;
 * msgpack against a plain copy of the bytes; JSON (base64) against Node's own base64; and, when
 * the system Python has them, numpy and msgpack-numpy on the same array as peer figures.
 *
 * Run: `node --import tsx bench/ndarray.ts` (add `--expose-gc` for steadier figures).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { asBuffer, ndarray } from '../src/ndarray/ndarray.js';
import type { NdArray } from '../src/ndarray/ndarray.js';
import { readNpy, writeNpy } from '../src/ndarray/npy.js';
import { decodeNdarrayJson, encodeNdarrayJson } from '../src/wire/ndarray-json.js';
import type { NdarrayJson } from '../src/wire/ndarray-json.js';
import {
  encodeNdarrayMsgpack,
  packNdarray,
  pythonPackr,
  unpackNdarray,
} from '../src/wire/ndarray-msgpack.js';

const MIB = 1 << 20;
const BYTES = 256 * MIB;
const RUNS = 5;
const PEER_RUNS = 3;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Median wall times in ms of `RUNS` runs of each function, the functions taking turns so that
 * drift in the machine (page cache, other load) hits them alike.
 */
async function medians(...fns: (() => unknown)[]): Promise<number[]> {
  return mediansWithCleanup(fns.map((fn) => [fn, undefined] as const));
}

/** Like {@link medians}, with an untimed clean-up after each timed call (e.g. removing the file it wrote). */
async function mediansWithCleanup(
  fns: readonly (readonly [() => unknown, (() => unknown) | undefined])[],
): Promise<number[]> {
  const times: number[][] = fns.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, [fn, cleanup]] of fns.entries()) {
      gc();
      const t = performance.now();
      await fn();
      times[k]?.push(performance.now() - t);
      await cleanup?.();
    }
  }
  return times.map((ts) => {
    ts.sort((a, b) => a - b);
    return ts[Math.floor(ts.length / 2)] ?? NaN;
  });
}

const mbps = (ms: number): string => `${((BYTES / MIB / ms) * 1000).toFixed(0).padStart(6)} MiB/s`;

/** One report line: a measured operation, and how it compares to its floor when it has one. */
function row(
  label: string,
  name: string,
  ms: number,
  vs?: { floorMs: number; target?: number; what?: string },
): string {
  let line = `  ${label.padEnd(15)} ${name.padEnd(40)} ${mbps(ms)} ${ms.toFixed(0).padStart(6)} ms`;
  if (vs) {
    const ratio = vs.floorMs / ms;
    line += `   ${vs.what ?? 'ours/raw'} ${ratio.toFixed(2)}`;
    if (vs.target !== undefined)
      line += ` (target >= ${vs.target.toFixed(2)}) ${ratio >= vs.target ? 'ok' : 'BELOW TARGET'}`;
  }
  return line;
}

const PEER_SCRIPT = `
import sys, time, io, os, numpy as np
try:
    import msgpack, msgpack_numpy
except ImportError:
    msgpack = None
n = int(sys.argv[1]); path = sys.argv[2]; runs = int(sys.argv[3])
a = np.arange(n // 4, dtype='<f4')
def med(f):
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000)
    return sorted(ts)[len(ts) // 2]
print('np.save (no fsync)', med(lambda: np.save(path, a)))
print('np.load', med(lambda: np.load(path)))
if msgpack is not None:
    b = msgpack.packb(a, default=msgpack_numpy.encode)
    print('msgpack_numpy packb', med(lambda: msgpack.packb(a, default=msgpack_numpy.encode)))
    print('msgpack_numpy unpackb', med(lambda: msgpack.unpackb(b, object_hook=msgpack_numpy.decode)))
os.remove(path)
`;

function runPeer(dir: string): Promise<[string, number][] | string> {
  return new Promise((resolve) => {
    const child = spawn(
      '/usr/bin/python3',
      ['-c', PEER_SCRIPT, String(BYTES), join(dir, 'peer.npy'), String(PEER_RUNS)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 40_000,
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => resolve(`not run (${e.message})`));
    child.on('close', (code) => {
      if (code !== 0) {
        resolve(`not run (/usr/bin/python3 exited ${code}: ${err.trim().split('\n').pop() ?? ''})`);
        return;
      }
      resolve(
        out
          .trim()
          .split('\n')
          .map((l) => {
            const i = l.lastIndexOf(' ');
            return [l.slice(0, i), Number(l.slice(i + 1))] as [string, number];
          }),
      );
    });
  });
}

/** Runs the ndarray benchmark, reporting one line at a time. */
export async function benchNdarray(report: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-ndarray-'));
  try {
    const arr: NdArray = ndarray('float32', [BYTES / 4]);
    const data = arr.data as Float32Array;
    for (let i = 0; i < data.length; i++) data[i] = i;
    const bytes = asBuffer(arr);
    const raw = join(dir, 'raw.bin');
    const npy = join(dir, 'array.npy');
    report(`ndarray: one float32 array of ${BYTES / MIB} MiB, median of ${RUNS} runs, files in ${tmpdir()}`);

    // Writes first, so both files exist (and sit in the page cache alike) for the reads.
    const floorTmp = join(dir, 'floor.tmp');
    const floorDest = join(dir, 'floor.bin');
    // What any durable atomic write must do: a new file, fsync, rename over the old one.
    // Plain writes and fsync'ed writes are measured apart: an fsync on this file system flushes the
    // journal, stalling whatever write runs next, which would charge one variant for another's sync.
    // Both sides write a new file each time, removed untimed afterwards: overwriting a 256 MB file
    // first frees its pages, which made a plain overwrite and an atomic rename incomparable.
    const fresh = join(dir, 'fresh.bin');
    const freshNpy = join(dir, 'fresh.npy');
    const [writeRaw = NaN, writeScratch = NaN] = await mediansWithCleanup([
      [() => writeFile(fresh, bytes), () => rm(fresh, { force: true })],
      [() => writeNpy(freshNpy, arr), () => rm(freshNpy, { force: true })],
    ]);
    await writeFile(raw, bytes);
    await writeNpy(npy, arr);
    const [writeOurs = NaN, writeRawSync = NaN] = await medians(
      () => writeNpy(npy, arr, { durable: true }),
      async () => {
        const fh = await open(floorTmp, 'wx');
        await fh.writeFile(bytes);
        await fh.sync();
        await fh.close();
        await rename(floorTmp, floorDest);
      },
    );
    await rm(floorDest, { force: true });
    const [readRaw = NaN, readOurs = NaN] = await medians(
      () => readFile(raw),
      () => readNpy(npy),
    );
    report(row('.npy read', 'fs.readFile (floor)', readRaw));
    report(row('', 'readNpy', readOurs, { floorMs: readRaw, target: 0.8 }));
    report(row('.npy write', 'fs.writeFile of a new file (floor)', writeRaw));
    report(
      row('', 'writeNpy (atomic rename, the default)', writeScratch, { floorMs: writeRaw, target: 0.8 }),
    );
    report(row('', 'writeNpy (durable: true, + fsync)', writeOurs, { floorMs: writeRaw }));
    report(row('', 'new file + fsync + rename (floor)', writeRawSync));
    report(
      row('', 'writeNpy (durable) vs that floor', writeOurs, { floorMs: writeRawSync, what: 'ours/floor' }),
    );
    await rm(raw, { force: true });
    await rm(npy, { force: true });

    const packed = packNdarray(arr);
    // A message from elsewhere rarely has its data aligned: that path costs one copy.
    const unaligned = Buffer.allocUnsafeSlow(packed.byteLength + 1).subarray(1);
    packed.copy(unaligned);
    const [copy = NaN, pack = NaN, viaPackr = NaN, unpack = NaN, unpackCopy = NaN] = await medians(
      () => Buffer.from(bytes),
      () => packNdarray(arr),
      () => pythonPackr.pack(encodeNdarrayMsgpack(arr)),
      () => unpackNdarray(packed),
      () => unpackNdarray(unaligned),
    );
    report(row('msgpack encode', 'Buffer.from(bytes), a copy (floor)', copy));
    report(row('', 'packNdarray', pack, { floorMs: copy, target: 0.5 }));
    report(row('', 'pythonPackr.pack(encodeNdarrayMsgpack)', viaPackr, { floorMs: copy, target: 0.5 }));
    report(
      row('msgpack decode', 'unpackNdarray, unaligned data: a copy', unpackCopy, {
        floorMs: copy,
        target: 0.5,
      }),
    );
    report(row('', 'unpackNdarray, aligned data: a view', unpack, { floorMs: copy }));

    const json: NdarrayJson = encodeNdarrayJson(arr);
    const [b64 = NaN, enc = NaN, dec64 = NaN, dec = NaN] = await medians(
      () => bytes.toString('base64'),
      () => encodeNdarrayJson(arr),
      () => Buffer.from(json.data_b64, 'base64'),
      () => decodeNdarrayJson(json),
    );
    report(row('JSON encode', "buf.toString('base64') (floor)", b64));
    report(row('', 'encodeNdarrayJson', enc, { floorMs: b64, target: 0.5 }));
    report(row('JSON decode', "Buffer.from(text, 'base64')", dec64));
    report(row('', 'decodeNdarrayJson (checked)', dec, { floorMs: dec64 }));
    report(row('', 'decodeNdarrayJson vs base64 encode', dec, { floorMs: b64, target: 0.5 }));

    const peer = await runPeer(dir);
    if (typeof peer === 'string') report(`  peer (numpy, msgpack-numpy): ${peer}`);
    else for (const [name, ms] of peer) report(row('peer (Python)', name, ms));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t = performance.now();
  await benchNdarray((line) => console.log(line));
  console.log(`  (total ${((performance.now() - t) / 1000).toFixed(1)} s)`);
}
