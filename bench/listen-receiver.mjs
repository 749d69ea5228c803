/**
 * The receiving side of bench/listen.ts, in a process of its own so that its peak memory is its
 * own: starts berth's receivers (the built dist/, as `berth listen` runs them — no TypeScript
 * loader in the measured process) on a spool, prints `{"port": N}`, and on SIGTERM drains, then
 * prints `{"maxRssMiB", "loopDelayMaxMs", "loopDelayP99Ms", "cpuUserMs", "cpuSystemMs"}` (its peak
 * RSS, how long its event loop was held up at most / at the 99th percentile, its CPU time) and
 * exits. With `--no-fsync` the spool commits without syncing (`berth listen --no-fsync`).
 * Run after `npm run build`: `node bench/listen-receiver.mjs SPOOL [--no-fsync]`.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';
import { startReceivers } from '../dist/net/receivers.js';
import { SpoolSink } from '../dist/net/staging.js';

/**
 * The peak RSS of this process image: VmHWM, not getrusage's maxrss, which Linux carries over from
 * the parent that forked this process (the bench, holding its synthetic study) across exec.
 */
function peakRssKiB() {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : process.resourceUsage().maxRSS;
}

/** The process's CPU time so far (start-up included), user and system, in ms. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return { cpuUserMs: user / 1000, cpuSystemMs: system / 1000 };
}

const spool = process.argv[2];
if (!spool) throw new Error('usage: listen-receiver.mjs SPOOL [--no-fsync]');
const sink = new SpoolSink({ spool, fsync: process.argv[3] !== '--no-fsync' });
await sink.recoverStaging();
const receivers = await startReceivers({ port: 0, drainMs: 5000 }, sink);
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
process.on('SIGTERM', () => {
  void receivers.close().then(() => {
    loop.disable();
    const ms = (ns) => ns / 1e6;
    const out = {
      maxRssMiB: peakRssKiB() / 1024,
      loopDelayMaxMs: ms(loop.max),
      loopDelayP99Ms: ms(loop.percentile(99)),
      ...cpuMs(),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    process.exit(0);
  });
});
// Printed last: the bench may send SIGTERM the moment it reads this line.
process.stdout.write(`${JSON.stringify({ port: receivers.dimsePort })}\n`);
