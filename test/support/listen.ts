/** Helpers of the `berth listen` tests: a spool fed the way the receivers feed it, and bounded waits. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { link, mkdir, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { writeSeries, type SeriesSpec, type WrittenSeries } from '../../src/dicom/synth.js';
import type { CommittedGroup } from '../../src/net/sink.js';
import type { Spool } from '../../src/net/spool.js';
import { CLI } from './cli.js';

/**
 * Writes a synthetic series and merges it into the spool's group of its study, as a committed
 * batch would (`groups/<study>/instances/<SOP>.dcm`); returns the series and the committed group.
 */
export async function feedSeries(
  spool: Spool,
  scratch: string,
  spec: SeriesSpec,
): Promise<{ series: WrittenSeries; group: CommittedGroup }> {
  const series = await writeSeries(
    path.join(scratch, `s-${String(spec.seed)}-${spec.seriesIndex ?? 0}`),
    spec,
  );
  const dir = spool.group(series.studyInstanceUid).instances;
  await mkdir(dir, { recursive: true });
  for (const f of series.files)
    await link(f.path, path.join(dir, `${f.sopInstanceUid}.dcm`)).catch(() => undefined);
  const instances = series.files.map((f) => ({
    sopInstanceUid: f.sopInstanceUid,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    studyInstanceUid: series.studyInstanceUid,
    seriesInstanceUid: series.seriesInstanceUid,
    transferSyntaxUid: series.transferSyntaxUid,
    bytes: 0,
  }));
  return { series, group: { key: series.studyInstanceUid, instances } };
}

/** Waits until `condition` holds, checking every 25 ms, for at most `ms` (then fails with `what`). */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A machine for `berth listen` tests (the system Python with pydicom): its input `study` is a
 * CT dicom-study (explicit VR little endian); it appends the number of instances it got to
 * runs.log in its folder, sleeps `sleep` seconds, and derives a series `derived` of two instances
 * from the first two (new Series and SOP Instance UIDs, same StudyInstanceUID), plus a text file
 * `note.txt` that is not DICOM.
 */
export function makeDeriveMachine(dir: string, sleep = 0): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'derive.py'),
    `import glob, os, sys, time
import pydicom
from pydicom.uid import generate_uid
inp, out = os.environ['BERTH_INPUT'], os.environ['BERTH_OUTPUT']
files = sorted(glob.glob(os.path.join(inp, 'study', '**', '*.dcm'), recursive=True))
with open('runs.log', 'a') as log:
    log.write('%d\\n' % len(files))
with open('pids.log', 'a') as log:
    log.write('%d\\n' % os.getpid())
time.sleep(${sleep})
series = generate_uid()
os.makedirs(os.path.join(out, 'derived'))
for n, f in enumerate(files[:2]):
    ds = pydicom.dcmread(f)
    ds.SeriesInstanceUID = series
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SeriesDescription = 'berth listen derived'
    ds.SeriesNumber = 900
    ds.InstanceNumber = n + 1
    ds.save_as(os.path.join(out, 'derived', ds.SOPInstanceUID + '.dcm'))
with open(os.path.join(out, 'note.txt'), 'w') as note:
    note.write('%d instances\\n' % len(files))
`,
  );
  writeFileSync(
    path.join(dir, 'machine.yaml'),
    [
      'metadata-version: 2',
      'info: {name: listen-derive}',
      'schema-in:',
      "  study: {dicom-type: dicom-study, modalities: [CT], transfer-syntax-uid: ['1.2.840.10008.1.2.1']}",
      'schema-out:',
      '  derived: {dicom-type: dicom-series}',
      '  note.txt: {mime-type: text/plain}',
      'timeout: 2',
      'berth:',
      `  command: ["/usr/bin/python3", "derive.py"]`,
    ].join('\n') + '\n',
  );
}

/** The pids of the runs a {@link makeDeriveMachine} machine started. */
export function derivePids(dir: string): number[] {
  const file = path.join(dir, 'pids.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

/** How many runs a {@link makeDeriveMachine} machine started, and on how many instances each. */
export function deriveRuns(dir: string): number[] {
  const file = path.join(dir, 'runs.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

/** A `berth listen` process started by a test. */
export interface ListenProcess {
  readonly child: ChildProcess;
  /** The DICOM port it listens on. */
  readonly port: number;
  /** The events of its log so far. */
  events(): Promise<{ event: string; [k: string]: unknown }[]>;
  /** Resolves with its exit code (or signal) once it has ended. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Reads a JSON-lines event log (missing: none). */
export async function readEvents(file: string): Promise<{ event: string; [k: string]: unknown }[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string });
}

/**
 * Starts `berth listen ARGS --port 0 --log LOG` (the built CLI) and waits until it listens; it is
 * killed (SIGKILL, by pid) after `timeoutMs` whatever happens. `wrap` runs it through another
 * program (`nsenter …`).
 */
export async function startListenCli(
  args: readonly string[],
  log: string,
  o: { timeoutMs?: number; wrap?: readonly string[]; port?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ListenProcess> {
  const before = (await readEvents(log)).length;
  const argv = [
    ...(o.wrap ?? []),
    process.execPath,
    CLI,
    'listen',
    ...args,
    '--port',
    String(o.port ?? 0),
    '--log',
    log,
  ];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(o.env ? { env: o.env } : {}),
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(
    () => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'),
    o.timeoutMs ?? 120_000,
  );
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) =>
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stderr });
      }),
  );
  let exited = false;
  void ended.then(() => (exited = true));
  let port = 0;
  await until(
    async () => {
      if (exited) throw new Error(`berth listen ended before listening: ${stderr}`);
      const started = (await readEvents(log)).slice(before).find((e) => e.event === 'listen.started');
      const address = (started?.['receivers'] as string[] | undefined)?.[0];
      port = address ? Number(/:(\d+)$/.exec(address)![1]) : 0;
      return port > 0;
    },
    'berth listen to listen',
    30_000,
  );
  return { child, port, ended, events: async () => (await readEvents(log)).slice(before) };
}

/** A TCP port free on 127.0.0.1 now (for a peer that cannot pick its own). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
