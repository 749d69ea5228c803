/**
 * Receiving DICOM (issue 15): berth's C-STORE SCP (`startReceivers`, in a child process) against
 * dcmtk's `storescp +B` on the same machine, both fed by dcmtk `storescu` over loopback.
 *
 * - throughput: a synthetic 300-instance 512 × 512 int16 CT study (≈ 150 MB) in one association,
 *   storescu's wall time, best of {@link ROUNDS} alternating rounds of every receiver. storescp
 *   writes files without fsync; berth by default stages, fsyncs and merges into its spool before it
 *   answers A-RELEASE. So each is compared with its like: `berth --no-fsync` (acknowledged in the
 *   file system, as storescp) with storescp — the target, ≥ 0.7× its MB/s — and berth with
 *   storescp followed by an fsync of what it wrote. Beside them the Node floor
 *   (bench/listen-floor.mjs): a plain node:net + node:fs C-STORE SCP that parses PDUs and writes
 *   each data set's bytes into a file of its own, with no checks, no staging and no fsync — the
 *   least a receiver in Node does on Node's default socket reads; berth's ratio to it is what
 *   berth's own design costs (berth reads into a 1 MiB buffer of its own, src/net/read-buffer.ts,
 *   which the floor does not, so berth can pass it).
 * - memory: peak RSS of the berth process receiving one 200 MB instance (an 8-bit multi-frame
 *   secondary capture), next to the peak of an idle receiver. Target < 150 MB (decimal: 143 MiB);
 *   printed in MiB and MB. The receiver's event-loop delay (max, p99) is printed with each run:
 *   it writes instances with synchronous calls (src/net/instance-writer.ts).
 * Run after `npm run build` (the receiver runs from dist/): `node --import tsx bench/listen.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { writeSeries, type WrittenSeries } from '../src/dicom/synth.js';

const ENV = { ...process.env, TCP_NODELAY: '1' };
/** Alternating rounds of every receiver; each figure is its best. */
const ROUNDS = 3;
const RECEIVER = join(import.meta.dirname, 'listen-receiver.mjs');
const FLOOR = join(import.meta.dirname, 'listen-floor.mjs');

function exec(file: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: 'ignore', env: ENV });
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 600_000);
    child.on('error', () => resolve(-1));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The JSON lines a child prints, read by one listener from its start, handed out in order. */
function jsonLines(child: ChildProcess): () => Promise<Record<string, number>> {
  const lines: string[] = [];
  const waiters: ((line: string | undefined) => void)[] = [];
  let ended: string | undefined;
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  child.once('close', (code, signal) => {
    ended = `the receiver ended early (exit ${code ?? signal ?? '?'})`;
    for (const w of waiters.splice(0)) w(undefined);
  });
  return async () => {
    const line =
      lines.shift() ?? (ended ? undefined : await new Promise<string | undefined>((r) => waiters.push(r)));
    if (line === undefined) throw new Error(ended);
    return JSON.parse(line) as Record<string, number>;
  };
}

interface Receiver {
  readonly port: number;
  stop(): Promise<Record<string, number>>;
}

/** A receiver script of bench/ (berth's, or the Node floor) in a process of its own, on `dir`. */
async function startReceiver(script: string, dir: string, ...args: string[]): Promise<Receiver> {
  const child = spawn(process.execPath, [script, dir, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const next = jsonLines(child);
  const { port } = await next();
  return {
    port: port!,
    stop: async () => {
      process.kill(child.pid!, 'SIGTERM');
      return next();
    },
  };
}

const startBerth = (spool: string, fsync = true) =>
  startReceiver(RECEIVER, spool, ...(fsync ? [] : ['--no-fsync']));

async function startStorescp(dir: string): Promise<{ port: number; stop: () => void }> {
  const port = await freePort();
  const child = spawn('/usr/bin/storescp', ['-aet', 'PEER', '+xa', '+B', '-od', dir, String(port)], {
    stdio: 'ignore',
    env: ENV,
  });
  await new Promise((r) => setTimeout(r, 300));
  return { port, stop: () => process.kill(child.pid!, 'SIGTERM') };
}

const storescu = (aet: string, port: number, dir: string) =>
  exec('/usr/bin/storescu', ['-aec', aet, '+sd', '127.0.0.1', String(port), dir]);

async function timed(send: () => Promise<number>): Promise<number> {
  const t = performance.now();
  if ((await send()) !== 0) throw new Error('storescu failed');
  return performance.now() - t;
}

/** Wall ms to fsync every file of `dir` (what storescp leaves to the kernel, berth does at commit). */
async function fsyncAll(dir: string): Promise<number> {
  const t = performance.now();
  for (const name of await readdir(dir)) {
    const fh = await open(join(dir, name), 'r');
    await fh.sync();
    await fh.close();
  }
  return performance.now() - t;
}

/** One run of the Node floor: storescu's wall ms and the floor's CPU, its files counted. */
async function floorRun(out: string, study: WrittenSeries): Promise<{ ms: number; cpu: string }> {
  const floor = await startReceiver(FLOOR, out);
  const ms = await timed(() => storescu('FLOOR', floor.port, study.dir));
  const stats = await floor.stop();
  const written = (await readdir(out)).length;
  await rm(out, { recursive: true, force: true });
  if (written !== study.files.length) throw new Error(`the Node floor wrote ${written} files`);
  return {
    ms,
    cpu: `CPU ${stats.cpuUserMs!.toFixed(0)} ms user + ${stats.cpuSystemMs!.toFixed(0)} ms system`,
  };
}

/** One berth receive of the study (a fresh receiver), with its event-loop delay and CPU. */
async function berthRun(spool: string, study: WrittenSeries, fsync: boolean) {
  const berth = await startBerth(spool, fsync);
  const ms = await timed(() => storescu('BERTH', berth.port, study.dir));
  const stats = await berth.stop();
  await rm(spool, { recursive: true, force: true });
  return { ms, loop: loopDelay(stats) };
}

async function throughput(root: string, study: WrittenSeries, mb: number, report: (l: string) => void) {
  let berth = { ms: Infinity, loop: '' };
  let fast = { ms: Infinity, loop: '' };
  let peerMs = Infinity;
  let durablePeerMs = Infinity;
  let floor = { ms: Infinity, cpu: '' };
  for (let run = 0; run < ROUNDS; run++) {
    const berth1 = await berthRun(join(root, `spool-${run}`), study, true);
    if (berth1.ms < berth.ms) berth = berth1;
    const fast1 = await berthRun(join(root, `spool-nofsync-${run}`), study, false);
    if (fast1.ms < fast.ms) fast = fast1;
    const out = join(root, `storescp-${run}`);
    await exec('/usr/bin/mkdir', ['-p', out]);
    const peer = await startStorescp(out);
    const peer1 = await timed(() => storescu('PEER', peer.port, study.dir));
    peerMs = Math.min(peerMs, peer1);
    durablePeerMs = Math.min(durablePeerMs, peer1 + (await fsyncAll(out)));
    peer.stop();
    await rm(out, { recursive: true, force: true });
    const floor1 = await floorRun(join(root, `floor-${run}`), study);
    if (floor1.ms < floor.ms) floor = floor1;
  }
  const rate = (ms: number) => mb / (ms / 1000);
  const x = (ms: number, than: number) => `${(rate(ms) / rate(than)).toFixed(2)}×`;
  const line = (label: string, ms: number) =>
    `  ${label.padEnd(38)} ${ms.toFixed(0).padStart(6)} ms ${rate(ms).toFixed(1).padStart(7)} MB/s`;
  report(
    `receive ${study.files.length} instances, ${mb.toFixed(0)} MB, one association (storescu → loopback), best of ${ROUNDS}`,
  );
  report(line('dcmtk storescp +B (no fsync)', peerMs));
  report(line('storescp, then fsync of its files', durablePeerMs));
  report(
    `${line('Node floor (PDU → file, no checks)', floor.ms)}   ${x(floor.ms, peerMs)} storescp; ${floor.cpu}, start-up included`,
  );
  report(
    `${line('berth --no-fsync (staged, merged)', fast.ms)}   ${x(fast.ms, peerMs)} storescp (same durability; target ≥ 0.7×), ${x(fast.ms, floor.ms)} floor`,
  );
  report(
    `${line('berth (staged, fsync, merged)', berth.ms)}   ${x(berth.ms, durablePeerMs)} storescp + fsync (same durability), ${x(berth.ms, peerMs)} storescp, ${x(berth.ms, floor.ms)} floor`,
  );
  report(`  berth's event loop held up ${berth.loop}`);
  report(`  berth --no-fsync's event loop held up ${fast.loop}`);
}

/** The receiver's event-loop delay, as printed. */
function loopDelay(stats: Record<string, number>): string {
  const cpu = `CPU ${stats.cpuUserMs!.toFixed(0)} ms user + ${stats.cpuSystemMs!.toFixed(0)} ms system, start-up included`;
  return `at most ${stats.loopDelayMaxMs!.toFixed(1)} ms (p99 ${stats.loopDelayP99Ms!.toFixed(1)} ms); ${cpu}`;
}

/** A size in MiB, with its value in decimal MB. */
function mib(value: number): string {
  return `${value.toFixed(0)} MiB (${((value * 1024 * 1024) / 1e6).toFixed(0)} MB)`;
}

async function memory(root: string, report: (l: string) => void) {
  const big = await writeSeries(join(root, 'big'), {
    modality: 'OT',
    rows: 1024,
    columns: 1024,
    frames: 200,
    instances: 1,
  });
  const mb = (await stat(big.files[0]!.path)).size / 1e6;
  const idle = await startBerth(join(root, 'spool-idle'));
  const idleRss = (await idle.stop()).maxRssMiB!;
  const berth = await startBerth(join(root, 'spool-big'));
  if ((await storescu('BERTH', berth.port, big.dir)) !== 0) throw new Error('storescu failed');
  const stats = await berth.stop();
  report(
    `peak RSS of the berth receiver: idle ${mib(idleRss)}; receiving one ${mb.toFixed(0)} MB instance ${mib(stats.maxRssMiB!)} (target < 150 MB); event loop held up ${loopDelay(stats)}`,
  );
}

export async function benchListen(report: (line: string) => void): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'berth-bench-listen-'));
  try {
    const study = await writeSeries(join(root, 'study'), { instances: 300, rows: 512, columns: 512 });
    let bytes = 0;
    for (const f of study.files) bytes += (await stat(f.path)).size;
    await throughput(root, study, bytes / 1e6, report);
    await memory(root, report);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchListen((line) => console.log(line));
}
