/**
 * `berth listen` end-to-end latency: from the moment storescu has sent a study's last instance
 * (its association released) to the machine's results stored at a dcmtk storescp, and how much of
 * that is neither the idle window nor the machine's own run time — berth's part: noticing the
 * group is complete, laying it out (sort, links, transcoding), the pre-flight checks, the reports,
 * and the C-STORE of the outputs.
 *
 * Run: `npm run build && node --import tsx bench/listen-latency.ts` (needs dcmtk and pydicom).
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSeries } from '../src/dicom/synth.js';
import { DCMTK_PEER, PYDICOM_PEER } from '../test/support/dicom-peers.js';
import { runTool, startTool } from '../test/support/dicom-net.js';
import { freePort, makeDeriveMachine, readEvents, startListenCli, until } from '../test/support/listen.js';
import { hasPeer } from '../test/support/peers.js';

const IDLE_S = 2;

export async function benchListenLatency(
  report: (line: string) => void,
  instances = 300,
  size = 512,
): Promise<void> {
  if (!(await hasPeer(DCMTK_PEER)) || !(await hasPeer(PYDICOM_PEER))) {
    report('listen latency: skipped (needs dcmtk and pydicom in /usr/bin/python3)');
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-listen-'));
  const stop: number[] = [];
  try {
    const machine = path.join(dir, 'machine');
    makeDeriveMachine(machine);
    const study = await writeSeries(path.join(dir, 'study'), {
      instances,
      rows: size,
      columns: size,
      seed: 1,
    });
    const out = path.join(dir, 'peer');
    await mkdir(out);
    const peerPort = await freePort();
    const peer = startTool('/usr/bin/storescp', ['-aet', 'PEER', '+xa', '+B', '-od', out, String(peerPort)]);
    stop.push(peer.pid!);
    const log = path.join(dir, 'events.log');
    const spool = path.join(dir, 'spool');
    const berth = await startListenCli(
      [machine, '--spool', spool, '--idle', String(IDLE_S), '--dest', `PEER@127.0.0.1:${peerPort}`],
      log,
    );
    stop.push(berth.child.pid!);
    const sendStart = Date.now();
    const sent = await runTool(
      '/usr/bin/storescu',
      ['-aec', 'BERTH', '+sd', '+r', '127.0.0.1', String(berth.port), study.dir],
      300_000,
    );
    const lastInstance = Date.now();
    if (sent.code !== 0) throw new Error(`storescu failed: ${sent.stderr}`);
    await until(
      async () => (await readEvents(log)).some((e) => e.event === 'delivery.done'),
      'the delivery',
      300_000,
    );
    const events = await readEvents(log);
    const at = (name: string): number => Date.parse(String(events.find((e) => e.event === name)!['time']));
    const runReport = JSON.parse(
      await readFile(path.join(spool, 'groups', study.studyInstanceUid, 'runs', 'r1', 'report.json'), 'utf8'),
    ) as { usage: { wallMs: number } | null };
    const machineMs = runReport.usage?.wallMs ?? 0;
    const total = at('delivery.done') - lastInstance;
    const idle = IDLE_S * 1000;
    const s = (ms: number): string => `${(ms / 1000).toFixed(2).padStart(7)} s`;
    report(
      `listen latency: a ${instances}-instance ${size}×${size} CT study, storescu → berth listen → derived series → storescp`,
    );
    report(`  receiving (storescu, ${instances} instances)                ${s(lastInstance - sendStart)}`);
    report(`  last instance → results stored at the destination         ${s(total)}`);
    report(`    idle window (--idle ${IDLE_S})                                   ${s(idle)}`);
    report(
      `    noticed complete after the window                      ${s(at('group.complete') - lastInstance - idle)}`,
    );
    report(
      `    run: layout, pre-flight, reports (beyond the machine)  ${s(at('run.finished') - at('run.started') - machineMs)}`,
    );
    report(`    the machine's own run time                             ${s(machineMs)}`);
    report(
      `    delivery (C-STORE of 2 outputs)                        ${s(at('delivery.done') - at('run.finished'))}`,
    );
    report(`  beyond the machine and the idle window                    ${s(total - idle - machineMs)}`);
  } finally {
    for (const pid of stop) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already ended
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  await benchListenLatency((l) => console.log(l));
