/**
 * A 2,000-instance study validated end to end by `berth validate` (a real process: start-up,
 * manifest, tree walk, header scans, constraint checks), against the floor: a raw read of the
 * first 64 KB of each of the 2,000 files plus the start of a bare Node process. Target: under
 * 3× the floor's read time plus process start.
 *
 * Run: `node --import tsx bench/validate-study.ts`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { synthSeriesUid, writeSeries, type SeriesSpec } from '../src/dicom/synth.js';

const SERIES = 8;
const PER_SERIES = 250;
const RUNS = 5;
const CLI = fileURLToPath(new URL('../dist/cli/berth.js', import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Generates the study, then times the floor and berth validate side by side. */
export async function benchValidateStudy(report: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-study-'));
  try {
    const input = path.join(dir, 'input');
    const study = path.join(input, 'study');
    let studyInstanceUid: string | undefined;
    const t0 = performance.now();
    for (let i = 0; i < SERIES; i++) {
      const spec: SeriesSpec = {
        seed: 'bench-study',
        seriesIndex: i,
        instances: PER_SERIES,
        rows: 64,
        columns: 64,
        ...(studyInstanceUid ? { studyInstanceUid } : {}),
      };
      const written = await writeSeries(path.join(study, synthSeriesUid(spec)), spec);
      studyInstanceUid ??= written.studyInstanceUid;
    }
    const manifest = path.join(dir, 'machine.yaml');
    await writeFile(
      manifest,
      [
        'metadata-version: 2',
        'info: {name: study-bench}',
        'schema-in:',
        '  study:',
        '    dicom-type: dicom-study',
        '    modalities: [CT]',
        `    study-related-series: [${Array(SERIES).fill(PER_SERIES).join(', ')}]`,
        `    study-related-instances: ${SERIES * PER_SERIES}`,
        'schema-out:',
        '  result: {type: string}',
      ].join('\n'),
    );
    const files: string[] = [];
    for (const s of fs.readdirSync(study))
      for (const f of fs.readdirSync(path.join(study, s))) files.push(path.join(study, s, f));
    report(
      `berth validate: a ${files.length}-instance study (${SERIES} series of ${PER_SERIES}, 64×64 CT) generated in ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s; warm cache, median of ${RUNS}`,
    );
    const buf = Buffer.allocUnsafe(64 * 1024);
    const rawReads = () => {
      for (const f of files) {
        const fd = fs.openSync(f, 'r');
        fs.readSync(fd, buf, 0, buf.length, 0);
        fs.closeSync(fd);
      }
    };
    const time = (fn: () => void) => {
      const t = performance.now();
      fn();
      return performance.now() - t;
    };
    // The same raw reads in a process of their own: start-up, cold fs code and all, like berth's.
    const listFile = path.join(dir, 'files.json');
    await writeFile(listFile, JSON.stringify(files));
    const readScript = [
      '-e',
      `const fs = require('node:fs'); const b = Buffer.allocUnsafe(65536);` +
        `for (const f of JSON.parse(fs.readFileSync(${JSON.stringify(listFile)}, 'utf8'))) {` +
        `const fd = fs.openSync(f, 'r'); fs.readSync(fd, b, 0, b.length, 0); fs.closeSync(fd); }`,
    ];
    const minimalScan = [fileURLToPath(new URL('./minimal-uid-scan.cjs', import.meta.url)), listFile];
    const reads: number[] = [];
    const starts: number[] = [];
    const readProcesses: number[] = [];
    const minimalScans: number[] = [];
    const validates: number[] = [];
    const checks: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      reads.push(time(rawReads));
      starts.push(time(() => spawnSync(process.execPath, ['-e', '0'])));
      readProcesses.push(time(() => spawnSync(process.execPath, readScript)));
      minimalScans.push(time(() => spawnSync(process.execPath, minimalScan)));
      checks.push(time(() => spawnSync(process.execPath, [CLI, 'check', manifest])));
      validates.push(
        time(() => {
          const r = spawnSync(process.execPath, [CLI, 'validate', manifest, '--inputs', input], {
            encoding: 'utf8',
          });
          if (r.status !== 0) throw new Error(`validate failed: ${r.stdout}${r.stderr}`);
        }),
      );
    }
    const read = median(reads);
    const start = median(starts);
    const readProcessMs = median(readProcesses);
    const validate = median(validates);
    const check = median(checks);
    const budget = 3 * read + start;
    report(`  raw read of the first 64 KB of each file (floor)      ${read.toFixed(1).padStart(8)} ms`);
    report(`  bare Node process start                                ${start.toFixed(1).padStart(8)} ms`);
    report(
      `  a Node process doing those raw reads                   ${readProcessMs.toFixed(1).padStart(8)} ms   ` +
        `(reads in a fresh process: ${(readProcessMs - start).toFixed(1)} ms)`,
    );
    const minimal = median(minimalScans);
    report(
      `  a Node process taking 4 UIDs + modality from each file   ${minimal.toFixed(1).padStart(8)} ms   ` +
        `(bench/minimal-uid-scan.cjs: no checks, no manifest; ${minimal <= budget ? 'within' : 'above'} the budget below)`,
    );
    report(`  berth check of the manifest (berth's own start-up)     ${check.toFixed(1).padStart(8)} ms`);
    report(
      `  berth validate --inputs (whole process)                ${validate.toFixed(1).padStart(8)} ms   ` +
        `budget 3×floor + start = ${budget.toFixed(0)} ms ${validate <= budget ? 'ok' : 'ABOVE TARGET'}; ` +
        `(validate − start) / floor = ${((validate - start) / read).toFixed(2)}×`,
    );
    report(
      `  berth validate vs the raw-read process                 ${(validate / readProcessMs).toFixed(2).padStart(8)}×`,
    );
    const work = validate - check;
    report(
      `  validate's own work beyond berth's start-up            ${work.toFixed(1).padStart(8)} ms   ` +
        `${(work / read).toFixed(2)}× the floor (target ≤ 3×) ${work <= 3 * read ? 'ok' : 'ABOVE TARGET'}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchValidateStudy((line) => console.log(line));
}
