/**
 * De-identification throughput on a synthetic 300-slice 512 × 512 CT series (explicit VR little
 * endian, ≈ 530 KB a file, 155 MB in all), everything measured side by side in one run, in rounds
 * that take turns (the order rotates each round), with the load average printed before and after
 * (a quiet machine is not guaranteed):
 *
 * - **floor**: the same files read and written unchanged through the same I/O berth uses (the
 *   bounded read-ahead/write-behind pipeline, one writev per file, atomic rename): what no
 *   de-identifier writing files can beat;
 * - **sequential copy**: readFile + writeFile one file after the other (the floor as first measured);
 * - **berth deid**: `deidentifyFolder`, what `berth deid` and `--deidentify` run (read, de-identify,
 *   record the PHI and the map, write);
 * - **berth in memory**: `Deidentifier.deidentify` on buffers already read (the CPU part alone);
 * - **pydicom**: the same profile in Python (bench/deid.py: the resolved actions, HMAC UIDs, date
 *   shift, private tags removed), timed inside its process (interpreter start and imports
 *   excluded), and its wall time with them.
 *
 * One untimed pass of each comes first (warm code, page cache and imports for every contender), and
 * the heap is collected before each run.
 *
 * Target: berth ≥ 3× faster than pydicom — unless 3× pydicom is faster than the floor, in which
 * case the target is the floor's own pace: berth ≤ 1.5× floor. Run: `npm run bench -- deid`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decide, ROWS } from '../src/dicom/deid/actions.js';
import { Deidentifier } from '../src/dicom/deid/deidentify.js';
import { deidentifyFolder } from '../src/dicom/deid/folder.js';
import { writeSeries } from '../src/dicom/synth.js';
import { writeFileAtomic } from '../src/tree/atomic.js';
import { bytesOf, pipeFiles } from '../src/tree/file-pipeline.js';

const SLICES = 300;
const ROUNDS = 3;
const SECRET = 'bench-secret-0123456789';
const PYTHON = '/usr/bin/python3';
/** The target against the floor when 3× pydicom is below it. */
const FLOOR_TARGET = 1.5;

type Name = 'floor' | 'copy' | 'berth' | 'memory' | 'pydicom';
/** Wall and CPU milliseconds (CPU: user + system of every thread of the process, I/O threads included). */
type Figure = { wall: number; cpu: number };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

v8.setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** An empty output folder and a collected heap: no run pays for the garbage of the one before. */
async function fresh(out: string): Promise<void> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  collectGarbage();
}

async function timed(run: () => Promise<unknown>): Promise<Figure> {
  const c = process.cpuUsage();
  const t = performance.now();
  await run();
  const wall = performance.now() - t;
  const used = process.cpuUsage(c);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

/** pydicom's figure inside its process, and its wall time with the interpreter start and imports. */
async function pydicom(src: string, out: string, actions: string): Promise<[Figure, number] | undefined> {
  const script = new URL('./deid.py', import.meta.url).pathname;
  const t = performance.now();
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [script, actions, src, out, SECRET], {
      maxBuffer: 1 << 20,
    });
    const [wall, cpu] = stdout.trim().split(/\s+/).map(Number);
    return [{ wall: wall! * 1000, cpu: cpu! * 1000 }, performance.now() - t];
  } catch {
    return undefined;
  }
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
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
    const names = (await readdir(src)).sort();
    const files = names.map((f) => join(src, f));
    const actions = join(dir, 'actions.json');
    const resolved: Record<string, string> = {};
    for (const row of ROWS.values()) resolved[row.tag] = decide(row.tag, row.vr, {}, new Set()).action;
    await writeFile(actions, JSON.stringify(resolved));
    const out = join(dir, 'out');
    const runs = {
      floor: () =>
        pipeFiles(files, { reuseBuffers: true }, (p) =>
          writeFileAtomic(join(out, names[p.index]!), bytesOf(p)),
        ),
      copy: async () => {
        for (const f of names) await writeFile(join(out, f), await readFile(join(src, f)));
      },
      berth: () => deidentifyFolder(src, out, new Deidentifier({ secret: SECRET })),
      memory: async () => {
        // Read first, outside the time; held only for this run (155 MB would weigh on the others' GC).
        const buffers = await Promise.all(files.map((f) => readFile(f)));
        collectGarbage();
        return timed(async () => {
          const d = new Deidentifier({ secret: SECRET });
          buffers.forEach((b, i) => d.deidentify(b, names[i]!).chunks);
        });
      },
    };
    const t: Record<Name, Figure[]> = { floor: [], copy: [], berth: [], memory: [], pydicom: [] };
    const pyWall: number[] = [];
    const order: Name[] = ['floor', 'copy', 'berth', 'memory', 'pydicom'];
    report(
      `De-identification of a ${SLICES}-slice 512×512 CT series, ${ROUNDS} rounds side by side (wall / CPU ms)`,
    );
    report(`  load average before: ${load()} (the machine is shared: wall figures vary with it, CPU less)`);
    // One untimed pass of each first: compiled code, page cache and Python's imports warm for all.
    for (const name of order) {
      await fresh(out);
      if (name === 'pydicom') await pydicom(src, out, actions);
      else await runs[name]();
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < order.length; k++) {
        const name = order[(k + round) % order.length]!;
        await fresh(out);
        if (name === 'pydicom') {
          const p = await pydicom(src, out, actions);
          if (p) [t.pydicom[round], pyWall[round]] = p;
        } else if (name === 'memory') t.memory[round] = await runs.memory();
        else t[name][round] = await timed(runs[name]);
      }
      const line = order
        .filter((n) => t[n][round] !== undefined)
        .map((n) => `${n} ${t[n][round]!.wall.toFixed(0)}/${t[n][round]!.cpu.toFixed(0)}`);
      const py = t.pydicom[round];
      const ratio = py ? `; pydicom/berth ${(py.wall / t.berth[round]!.wall).toFixed(2)}×` : '';
      report(
        `  round ${round + 1}: ${line.join(' · ')}; berth/floor ${(t.berth[round]!.wall / t.floor[round]!.wall).toFixed(2)}×${ratio}`,
      );
    }
    report(`  load average after: ${load()}`);
    const m = (n: Name, k: keyof Figure = 'wall'): number => median(t[n].filter(Boolean).map((x) => x[k]));
    const [f, b] = [m('floor'), m('berth')];
    const row = (label: string, n: Name, note = ''): void =>
      report(
        `  ${label.padEnd(44)} ${m(n).toFixed(0).padStart(6)} ms wall ${m(n, 'cpu').toFixed(0).padStart(6)} ms CPU${note}`,
      );
    report(`  medians:`);
    row(
      'read + write unchanged, berth I/O (floor)',
      'floor',
      `   ${((SLICES * 1000) / f).toFixed(0)} files/s`,
    );
    row('read + write unchanged, sequential copy', 'copy');
    row(
      'berth deid (deidentifyFolder)',
      'berth',
      `   ${(b / f).toFixed(2)}× floor, ${((SLICES * 1000) / b).toFixed(0)} instances/s`,
    );
    row(
      'berth de-identification in memory',
      'memory',
      `   ${(m('memory') / SLICES).toFixed(2)} ms/instance (CPU ${(m('memory', 'cpu') / SLICES).toFixed(2)})`,
    );
    if (t.pydicom.length === 0) {
      report('  pydicom                                      peer missing (python3-pydicom)');
      return;
    }
    const p = m('pydicom');
    row(
      'pydicom, same profile (in process)',
      'pydicom',
      `   berth ${(p / b).toFixed(2)}× faster (CPU ${(m('pydicom', 'cpu') / m('berth', 'cpu')).toFixed(2)}×)`,
    );
    report(
      `  ${'pydicom wall with interpreter start, imports'.padEnd(44)} ${median(pyWall).toFixed(0).padStart(6)} ms wall`,
    );
    if (p / 3 >= f)
      report(
        `  target: berth ≥ 3× faster than pydicom (≤ ${(p / 3).toFixed(0)} ms): ${p / b >= 3 ? 'met' : 'NOT met'}`,
      );
    else {
      report(
        `  target: 3× pydicom (${(p / 3).toFixed(0)} ms) is below the floor (${f.toFixed(0)} ms): berth ≤ ${FLOOR_TARGET}× floor instead: ${b / f <= FLOOR_TARGET ? 'met' : 'NOT met'}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchDeid((line) => console.log(line));
}
