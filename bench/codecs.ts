/**
 * Decoding compressed DICOM: berth's pixels() against dcmtk's and GDCM's command-line decoders, on
 * a synthetic 512 × 512 signed 16-bit CT series compressed by dcmtk and GDCM (300 slices for RLE,
 * JPEG-LS, lossless JPEG and 12-bit JPEG; JPEG 2000 and HTJ2K on the first 20, their decoders
 * being 10–50× slower). Every tool decodes every file, one file at a time: berth best of two runs, the peers
 * one run, paying one process start a file (they have no batch mode) — so their floor (the same
 * command on an uncompressed file: start, dictionary, I/O) is measured too and a ratio net of it
 * is printed. Also berth's
 * header scan of the compressed series against the native one, alternating, median of 5
 * (unchanged by the codecs: they load on first decode).
 *
 * Target: berth ≥ 0.5× the faster native tool for JPEG-LS, JPEG lossless and RLE.
 * Run: `node --import tsx bench/codecs.ts`, or `… bench/codecs.ts 'JPEG lossless' 12-bit` for some.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { readPixels } from '../src/dicom/pixels.js';
import { scanHeader } from '../src/dicom/scan.js';
import { writeSeries } from '../src/dicom/synth.js';
import { transcodeFile } from '../src/dicom/transcode.js';

const SLICES = 300;
const SLOW_SLICES = 20;

function exec(file: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'ignore' });
    child.on('error', () => resolve(-1));
    child.on('close', (code) => resolve(code ?? -1));
  });
}

/** Wall ms to run `one` on every file, best of `runs`; undefined when a run fails. */
async function timeAll(
  files: string[],
  one: (f: string) => Promise<unknown>,
  runs = 2,
): Promise<number | undefined> {
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const t = performance.now();
    for (const f of files) if ((await one(f)) === false) return undefined;
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/**
 * The peer's floor: median ms of running the same command on an uncompressed file of the same
 * series (process start, dictionary load, reading and writing ≈ 512 KB), 10 runs.
 */
async function floorMs(cmd: [string, string[]]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await exec(...cmd);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[5]!;
}

interface Syntax {
  readonly name: string;
  readonly uid: string;
  readonly slices: number;
  /** Makes the compressed file (a peer tool), or undefined: berth encodes it. */
  readonly make?: (src: string, dst: string) => [string, string[]];
  readonly peers: readonly [string, (src: string, dst: string) => [string, string[]]][];
}

const dcmtk =
  (tool: string) =>
  (s: string, d: string): [string, string[]] => [tool, [s, d]];
const gdcmRaw = (s: string, d: string): [string, string[]] => ['gdcmconv', ['--raw', s, d]];

const SYNTAXES: readonly Syntax[] = [
  {
    name: 'RLE',
    uid: '1.2.840.10008.1.2.5',
    slices: SLICES,
    make: dcmtk('dcmcrle'),
    peers: [
      ['dcmdrle', dcmtk('dcmdrle')],
      ['gdcmconv', gdcmRaw],
    ],
  },
  {
    name: 'JPEG-LS',
    uid: '1.2.840.10008.1.2.4.80',
    slices: SLICES,
    make: dcmtk('dcmcjpls'),
    peers: [
      ['dcmdjpls', dcmtk('dcmdjpls')],
      ['gdcmconv', gdcmRaw],
    ],
  },
  {
    name: 'JPEG lossless SV1',
    uid: '1.2.840.10008.1.2.4.70',
    slices: SLICES,
    make: (s, d) => ['dcmcjpeg', ['+e1', s, d]],
    peers: [
      ['dcmdjpeg', dcmtk('dcmdjpeg')],
      ['gdcmconv', gdcmRaw],
    ],
  },
  {
    // Lossy: dcmcjpeg +ee rescales the 16-bit CT to 12 bits; berth's own DCT decoder (no target).
    name: 'JPEG extended 12-bit',
    uid: '1.2.840.10008.1.2.4.51',
    slices: SLICES,
    make: (s, d) => ['dcmcjpeg', ['+ee', s, d]],
    peers: [
      ['dcmdjpeg', dcmtk('dcmdjpeg')],
      ['gdcmconv', gdcmRaw],
    ],
  },
  {
    name: 'JPEG 2000 lossless',
    uid: '1.2.840.10008.1.2.4.90',
    slices: SLOW_SLICES,
    make: (s, d) => ['gdcmconv', ['--j2k', s, d]],
    peers: [['gdcmconv', gdcmRaw]],
  },
  { name: 'HTJ2K lossless (berth-encoded)', uid: '1.2.840.10008.1.2.4.201', slices: SLOW_SLICES, peers: [] },
];

/**
 * The benchmark; `report` receives one line at a time. `only`: the syntaxes whose names contain one
 * of these (all when empty); the header scan needs RLE.
 */
export async function benchCodecs(
  report: (line: string) => void,
  only: readonly string[] = [],
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-codecs-'));
  try {
    const series = await writeSeries(join(dir, 'native'), {
      seed: 'bench',
      instances: SLICES,
      rows: 512,
      columns: 512,
    });
    const natives = series.files.map((f) => f.path);
    report(
      `Decoding ${SLICES} slices 512×512 signed 16-bit CT (JPEG 2000/HTJ2K: ${SLOW_SLICES}); wall ms for all`,
    );
    let rleFiles: string[] = [];
    for (const ts of SYNTAXES.filter((t) => only.length === 0 || only.some((o) => t.name.includes(o)))) {
      const out = join(dir, ts.name.replace(/\W+/g, '-'));
      await mkdir(out);
      const files: string[] = [];
      for (const [i, src] of natives.slice(0, ts.slices).entries()) {
        const dst = join(out, `${i}.dcm`);
        if (ts.make) {
          const [file, args] = ts.make(src, dst);
          if ((await exec(file, args)) !== 0) throw new Error(`${file} failed on ${src}`);
        } else await transcodeFile(src, dst, ts.uid);
        files.push(dst);
      }
      await readPixels(files[0]!, await scanHeader(files[0]!)); // load the codec once
      const berth = (await timeAll(files, async (f) => readPixels(f, await scanHeader(f))))!;
      const perSlice = (ms: number): string => `${(ms / files.length).toFixed(1).padStart(6)} ms/slice`;
      report(`  ${ts.name}`);
      report(`    berth pixels()                     ${berth.toFixed(0).padStart(7)} ms  ${perSlice(berth)}`);
      let fastest = Infinity;
      let fastestNet = Infinity;
      for (const [name, cmd] of ts.peers) {
        const tmp = join(out, 'peer-out.dcm');
        const ms = await timeAll(files, async (f) => (await exec(...cmd(f, tmp))) === 0, 1);
        if (ms === undefined) {
          report(`    ${name.padEnd(34)} peer missing or failed`);
          continue;
        }
        const start = await floorMs(cmd(natives[0]!, tmp));
        const net = Math.max(ms - start * files.length, 1);
        fastest = Math.min(fastest, ms);
        fastestNet = Math.min(fastestNet, net);
        report(
          `    ${name.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms  ${perSlice(ms)}  (on a native file ${start.toFixed(1)} ms; net ${perSlice(net)})`,
        );
      }
      if (Number.isFinite(fastest)) {
        report(
          `    berth throughput: ${(fastest / berth).toFixed(2)}× the faster native tool; ${(fastestNet / berth).toFixed(2)}× net of its floor`,
        );
      }
      if (ts.name === 'RLE') rleFiles = files;
    }
    if (rleFiles.length === 0) return;
    const scans: [number[], number[]] = [[], []];
    for (let run = 0; run < 5; run++) {
      for (const [k, set] of [natives, rleFiles].entries()) {
        const t = performance.now();
        for (const f of set) await scanHeader(f);
        scans[k]!.push(performance.now() - t);
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    report(
      `  header scan, ${SLICES} files: native ${median(scans[0]).toFixed(1)} ms, RLE ${median(scans[1]).toFixed(1)} ms (median of 5, alternating)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchCodecs((line) => console.log(line), process.argv.slice(2));
}
