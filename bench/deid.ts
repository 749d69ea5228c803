/**
 * De-identification throughput on a synthetic 300-slice 512 × 512 CT series (explicit VR little
 * endian, ≈ 530 KB a file): berth's Deidentifier (read, de-identify, write each file) against pydicom
 * doing the same profile in Python (bench/deid.py: the same resolved actions, HMAC UIDs, date shift,
 * private tags removed; timed inside its process) and against the floor of reading and writing the
 * files unchanged. Warm page cache; medians of a few runs taking turns.
 *
 * Target: berth ≥ 3× faster than pydicom.
 * Run: `node --import tsx bench/deid.ts`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { decide, ROWS } from '../src/dicom/deid/actions.js';
import { Deidentifier } from '../src/dicom/deid/deidentify.js';
import { writeSeries } from '../src/dicom/synth.js';

const SLICES = 300;
const RUNS = 3;
const SECRET = 'bench-secret-0123456789';
const PYTHON = '/usr/bin/python3';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function berth(src: string, files: string[], out: string): Promise<number> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const t = performance.now();
  const d = new Deidentifier({ secret: SECRET });
  for (const f of files) {
    const r = d.deidentify(await readFile(join(src, f)), f);
    await writeFile(join(out, `${r.sopInstanceUid}.dcm`), r.bytes);
  }
  return performance.now() - t;
}

async function floor(src: string, files: string[], out: string): Promise<number> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const t = performance.now();
  for (const f of files) await writeFile(join(out, f), await readFile(join(src, f)));
  return performance.now() - t;
}

async function pydicom(src: string, out: string, actions: string): Promise<number | undefined> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const script = new URL('./deid.py', import.meta.url).pathname;
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [script, actions, src, out, SECRET], {
      maxBuffer: 1 << 20,
    });
    return Number(stdout.trim()) * 1000;
  } catch {
    return undefined;
  }
}

export async function benchDeid(report: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-deid-'));
  try {
    const src = join(dir, 'in');
    await writeSeries(src, {
      seed: 'bench',
      instances: SLICES,
      rows: 512,
      columns: 512,
      sequences: 'defined',
    });
    const files = (await readdir(src)).sort();
    const actions = join(dir, 'actions.json');
    const resolved: Record<string, string> = {};
    for (const row of ROWS.values()) resolved[row.tag] = decide(row.tag, row.vr, {}, new Set()).action;
    await writeFile(actions, JSON.stringify(resolved));
    const t: { floor: number[]; berth: number[]; py: number[] } = { floor: [], berth: [], py: [] };
    for (let i = 0; i < RUNS; i++) {
      t.floor.push(await floor(src, files, join(dir, 'floor')));
      t.berth.push(await berth(src, files, join(dir, 'berth')));
      const p = await pydicom(src, join(dir, 'py'), actions);
      if (p !== undefined) t.py.push(p);
    }
    const [f, b] = [median(t.floor), median(t.berth)];
    report(
      `De-identification of a ${SLICES}-slice 512×512 CT series (read, de-identify, write; median of ${RUNS})`,
    );
    report(`  read + write unchanged (floor)   ${f.toFixed(0).padStart(7)} ms`);
    report(
      `  berth Deidentifier               ${b.toFixed(0).padStart(7)} ms   ${(b / f).toFixed(2)}× floor, ${((SLICES * 1000) / b).toFixed(0)} instances/s`,
    );
    if (t.py.length === 0) report('  pydicom                          peer missing (python3-pydicom)');
    else {
      const p = median(t.py);
      report(
        `  pydicom, same profile            ${p.toFixed(0).padStart(7)} ms   berth is ${(p / b).toFixed(1)}× faster (target ≥ 3×)`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchDeid((line) => console.log(line));
}
