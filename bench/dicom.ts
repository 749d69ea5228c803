/**
 * DICOM header scanning against its physical floor and its peers, side by side in one run, on a
 * synthetic 300-slice 512 × 512 CT series (explicit VR little endian, ≈ 530 KB a file): the raw
 * read of each file's first 64 KB (the floor), berth's scan (sync, async, and the folder index),
 * dicom-parser alone on a 64 KB prefix, pydicom `dcmread(stop_before_pixels=True)` timed inside
 * one Python process (and with the process start), and `dcmdump +sb 7fe0,0010` (one process).
 * Warm page cache; medians of several runs taking turns. Missing peers print "peer missing".
 *
 * Targets: berth ≤ 3× the floor, and ≥ 10× faster than pydicom.
 * Run: `node --import tsx bench/dicom.ts`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import dicomParser from 'dicom-parser';
import { indexFolder } from '../src/dicom/index.js';
import { scanHeader, scanHeaderSync } from '../src/dicom/scan.js';
import { writeSeries } from '../src/dicom/synth.js';

const SLICES = 300;
const RUNS = 9;
const PEER_RUNS = 3;
const PREFIX = 64 * 1024;
const PYTHON = '/usr/bin/python3';

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Median ms of each function over RUNS runs, the functions taking turns. */
async function medians(...fns: (() => unknown)[]): Promise<number[]> {
  const times: number[][] = fns.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, fn] of fns.entries()) {
      gc();
      const t = performance.now();
      await fn();
      times[k]!.push(performance.now() - t);
    }
  }
  return times.map(median);
}

/** Runs a process to its end; resolves the wall time in ms and stdout, or undefined when it cannot start. */
function timeProcess(
  file: string,
  args: string[],
): Promise<{ ms: number; stdout: string; code: number } | undefined> {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      if (out.length < 4096) out += c.toString();
    });
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve({ ms: performance.now() - t, stdout: out, code: code ?? -1 }));
  });
}

const PYDICOM_TIMER = `
import sys, time
import pydicom
runs = int(sys.argv[1]); files = sys.argv[2:]
times = []
for _ in range(runs):
    t = time.perf_counter()
    for f in files:
        pydicom.dcmread(f, stop_before_pixels=True)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(times[len(times) // 2])
`;

function row(label: string, ms: number, floorMs?: number, pydicomMs?: number): string {
  const parts = [`  ${label.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms`];
  if (floorMs !== undefined) parts.push(`${(ms / floorMs).toFixed(2).padStart(6)}× floor`);
  if (pydicomMs !== undefined) parts.push(`${(pydicomMs / ms).toFixed(1).padStart(6)}× faster than pydicom`);
  return parts.join('  ');
}

/** The benchmark; `report` receives one line at a time. */
export async function benchDicom(report: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-dicom-'));
  try {
    const t0 = performance.now();
    const series = await writeSeries(dir, { seed: 'bench', instances: SLICES, rows: 512, columns: 512 });
    const files = series.files.map((f) => f.path);
    const size = fs.statSync(files[0]!).size;
    report(
      `DICOM header scan: ${SLICES} slices 512×512 CT, explicit VR LE, ${(size / 1024).toFixed(0)} KB a file ` +
        `(generated in ${((performance.now() - t0) / 1000).toFixed(1)} s); warm cache, median of ${RUNS}`,
    );

    const buf = Buffer.allocUnsafe(PREFIX);
    const rawPrefix = (): void => {
      for (const f of files) {
        const fd = fs.openSync(f, 'r');
        fs.readSync(fd, buf, 0, PREFIX, 0);
        fs.closeSync(fd);
      }
    };
    const rawPrefixAsync = async (): Promise<void> => {
      for (const f of files) {
        const fd = await new Promise<number>((ok, ko) => fs.open(f, 'r', (e, d) => (e ? ko(e) : ok(d))));
        await new Promise((ok, ko) => fs.read(fd, buf, 0, PREFIX, 0, (e, n) => (e ? ko(e) : ok(n))));
        await new Promise((ok) => fs.close(fd, ok));
      }
    };
    const berthSync = (): void => {
      for (const f of files) scanHeaderSync(f);
    };
    const berthAsync = async (): Promise<void> => {
      for (const f of files) await scanHeader(f);
    };
    const berthIndex = async (): Promise<void> => {
      const index = await indexFolder(dir);
      if (index.instances.size !== SLICES) throw new Error('index lost instances');
    };
    const berthIndexAsync = async (): Promise<void> => {
      const index = await indexFolder(dir, { io: 'async', concurrency: 8 });
      if (index.instances.size !== SLICES) throw new Error('index lost instances');
    };
    const dicomParserPrefix = (): void => {
      for (const f of files) {
        const fd = fs.openSync(f, 'r');
        const b = Buffer.allocUnsafe(PREFIX);
        fs.readSync(fd, b, 0, PREFIX, 0);
        fs.closeSync(fd);
        dicomParser.parseDicom(b, { untilTag: 'x7fe00010' });
      }
    };
    // Warm the page cache and the JIT.
    for (let i = 0; i < 2; i++) {
      rawPrefix();
      berthSync();
      dicomParserPrefix();
      await berthAsync();
    }
    const [
      floor = NaN,
      floorAsync = NaN,
      sync = NaN,
      asyncSeq = NaN,
      index = NaN,
      indexAsync = NaN,
      dp = NaN,
    ] = await medians(
      rawPrefix,
      rawPrefixAsync,
      berthSync,
      berthAsync,
      berthIndex,
      berthIndexAsync,
      dicomParserPrefix,
    );

    // pydicom, timed inside one process, and one pass with the process start.
    let pydicom: number | undefined;
    let pydicomWithStart: number | undefined;
    const inside = await timeProcess(PYTHON, ['-c', PYDICOM_TIMER, String(PEER_RUNS), ...files]);
    if (inside && inside.code === 0) {
      pydicom = Number(inside.stdout.trim());
      const walls: number[] = [];
      for (let i = 0; i < PEER_RUNS; i++) {
        const r = await timeProcess(PYTHON, ['-c', PYDICOM_TIMER, '1', ...files]);
        if (r) walls.push(r.ms);
      }
      pydicomWithStart = median(walls);
    }
    let dcmdump: number | undefined;
    const dumps: number[] = [];
    for (let i = 0; i < PEER_RUNS; i++) {
      const r = await timeProcess('/usr/bin/dcmdump', ['-q', '+sb', '7fe0,0010', ...files]);
      if (!r || r.code !== 0) break;
      dumps.push(r.ms);
    }
    if (dumps.length === PEER_RUNS) dcmdump = median(dumps);

    report(row('raw read of the first 64 KB of each file, sync (floor)', floor));
    report(row('raw read of the first 64 KB, async (callbacks), one at a time', floorAsync, floor));
    report(row('berth scanHeaderSync (16 KB prefix)', sync, floor, pydicom));
    report(row('berth scanHeader (async, one at a time)', asyncSeq, floor, pydicom));
    report(`    vs its async floor: ${(asyncSeq / floorAsync).toFixed(2)}×`);
    report(row('berth indexFolder (walk + sync scans + grouping + sort)', index, floor, pydicom));
    report(row("berth indexFolder, io: 'async', 8 at once", indexAsync, floor, pydicom));
    report(row('dicom-parser parseDicom on a 64 KB prefix (incl. read)', dp, floor, pydicom));
    if (pydicom !== undefined) {
      report(row('pydicom dcmread(stop_before_pixels=True), in process', pydicom, floor));
      report(row('pydicom, one pass including Python start', pydicomWithStart ?? NaN, floor));
    } else report('  pydicom: peer missing (apt-get install -y python3-pydicom)');
    if (dcmdump !== undefined)
      report(row('dcmdump +sb 7fe0,0010 (one process for the series)', dcmdump, floor));
    else report('  dcmdump: peer missing (apt-get install -y dcmtk)');
    const ok3 = sync <= 3 * floor;
    const ok10 = pydicom === undefined ? undefined : pydicom / sync >= 10;
    report(
      `  targets: ≤ 3× floor ${ok3 ? 'met' : 'MISSED'} (${(sync / floor).toFixed(2)}×); ` +
        `≥ 10× faster than pydicom ${ok10 === undefined ? 'not measured (peer missing)' : ok10 ? 'met' : 'MISSED'}` +
        (pydicom === undefined ? '' : ` (${(pydicom / sync).toFixed(1)}×)`),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t = performance.now();
  await benchDicom((line) => console.log(line));
  console.log(`  (total ${((performance.now() - t) / 1000).toFixed(1)} s)`);
}
