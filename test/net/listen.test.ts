/**
 * `berth listen` end to end, with dcmtk peers on 127.0.0.1: storescu → berth → the machine →
 * storescp, faults included (berth SIGKILLed, the destination down, constraint violations).
 * Every process is bounded by a timeout and stopped by its pid.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { writeSeries, type WrittenSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { DCMTK_PEER, PYDICOM_PEER } from '../support/dicom-peers.js';
import { hasStackTrace, runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { runTool, startTool } from '../support/dicom-net.js';
import {
  derivePids,
  deriveRuns,
  freePort,
  makeDeriveMachine,
  readEvents,
  startListenCli,
  until,
  type ListenProcess,
} from '../support/listen.js';
import { requirePeer } from '../support/peers.js';
import { runPython } from '../support/python.js';
import { removeDir, tempDir } from '../support/temp.js';

/** True while a process runs: not gone, nor a zombie nobody has reaped yet (PID 1 of a CI container may not reap). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('berth listen (dcmtk peers on 127.0.0.1)', function () {
  this.timeout(150_000);
  let dir: string;
  let machine: string;
  let spool: string;
  let log: string;
  const children: ChildProcess[] = [];

  before(async function () {
    await requirePeer(this, DCMTK_PEER);
    await requirePeer(this, PYDICOM_PEER);
  });
  beforeEach(async () => {
    dir = await tempDir('listen-e2e');
    machine = path.join(dir, 'machine');
    spool = path.join(dir, 'spool');
    log = path.join(dir, 'events.log');
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    await removeDir(dir);
  });

  async function listen(args: string[]): Promise<ListenProcess> {
    const p = await startListenCli([machine, '--spool', spool, ...args], log);
    children.push(p.child);
    return p;
  }
  /** A dcmtk storescp keeping what it receives in `out`, on `port`. */
  async function storescp(out: string, port: number): Promise<ChildProcess> {
    await mkdir(out, { recursive: true });
    const c = startTool('/usr/bin/storescp', ['-aet', 'PEER', '+xa', '+B', '-od', out, String(port)]);
    children.push(c);
    return c;
  }
  const storescu = (port: number, args: string[], folder: string) =>
    runTool('/usr/bin/storescu', ['-aec', 'BERTH', ...args, '+sd', '+r', '127.0.0.1', String(port), folder]);
  const groupStatus = async (): Promise<{ key: string; status: string; runs: number; instances: number }[]> =>
    JSON.parse((await runCli(['listen', '--status', '--json', '--spool', spool])).stdout);

  it('answers echoscu, runs a 300-instance study (explicit, implicit, JPEG-LS) once, and stores the derived series at a storescp', async () => {
    makeDeriveMachine(machine);
    const input = path.join(dir, 'in');
    const explicit = await writeSeries(path.join(input, 'explicit'), { instances: 200, seed: 11 });
    const implicit = await writeSeries(path.join(input, 'implicit'), {
      instances: 99,
      seed: 11,
      seriesIndex: 1,
      transferSyntaxUid: TS.ImplicitVRLittleEndian,
    });
    const source = await writeSeries(path.join(dir, 'jls-source'), {
      instances: 1,
      seed: 11,
      seriesIndex: 2,
    });
    await mkdir(path.join(input, 'jls'));
    const jls = await runTool('/usr/bin/dcmcjpls', [
      source.files[0]!.path,
      path.join(input, 'jls', 'jls.dcm'),
    ]);
    expect(jls.code, jls.stderr).to.equal(0);
    const out = path.join(dir, 'peer');
    const peerPort = await freePort();
    await storescp(out, peerPort);
    const berth = await listen(['--idle', '3', '--dest', `PEER@127.0.0.1:${peerPort}`]);
    const echo = await runTool(
      '/usr/bin/echoscu',
      ['-aec', 'BERTH', '127.0.0.1', String(berth.port)],
      30_000,
    );
    expect(echo.code, echo.stderr).to.equal(0);
    for (const [args, folder] of [
      [[], path.join(input, 'explicit')],
      [['-xi'], path.join(input, 'implicit')],
      [['-xt'], path.join(input, 'jls')],
    ] as const) {
      const r = await storescu(berth.port, [...args], folder);
      expect(r.code, r.stderr).to.equal(0);
    }
    await until(async () => (await groupStatus())[0]?.status === 'sent', 'the study to be sent', 90_000);
    expect(deriveRuns(machine)).to.deep.equal([300]);
    const received = (await readdir(out)).map((f) => path.join(out, f));
    expect(received).to.have.length(2);
    for (const f of received) expect((await runTool('/usr/bin/dcmftest', [f])).stdout).to.match(/^yes:/);
    const inputUids = new Set([...explicit.files, ...implicit.files].map((f) => f.sopInstanceUid));
    const check = await runPython(
      `import sys, json, pydicom
print(json.dumps([[str(d.StudyInstanceUID), str(d.SeriesInstanceUID), str(d.SOPInstanceUID)] for d in map(pydicom.dcmread, sys.argv[1:])]))`,
      { args: received },
    );
    const uids = JSON.parse(check.stdout.toString()) as string[][];
    for (const [study, series, sop] of uids) {
      expect(study).to.equal(explicit.studyInstanceUid);
      expect([
        explicit.seriesInstanceUid,
        implicit.seriesInstanceUid,
        source.seriesInstanceUid,
      ]).not.to.include(series);
      expect(inputUids.has(sop!)).to.equal(false);
    }
    expect(new Set(uids.map((u) => u[1])).size).to.equal(1);
    berth.child.kill('SIGTERM');
    expect((await berth.ended).code).to.equal(0);
    const events = (await readEvents(log)).map((e) => e.event);
    expect(events).to.include.members(['listen.draining', 'listen.stopped']);
  });

  it('loses no acknowledged instance and runs each study exactly once to completion when SIGKILLed while receiving and while a run is in flight', async () => {
    makeDeriveMachine(machine, 3);
    const first = await writeSeries(path.join(dir, 'a'), { instances: 5, seed: 21 });
    const second = await writeSeries(path.join(dir, 'b'), {
      instances: 120,
      seed: 22,
      rows: 128,
      columns: 128,
    });
    let berth = await listen(['--idle', '1']);
    expect((await storescu(berth.port, [], first.dir)).code).to.equal(0);
    // The first study's run is under way (the machine sleeps 3 s): kill berth in it …
    await until(() => deriveRuns(machine).length === 1, 'the first run to start', 30_000);
    // … while the second study is being received.
    const sending = storescu(berth.port, [], second.dir);
    await until(
      async () =>
        (await readEvents(log)).filter((e) => e.event === 'receive.instance-received').length >= 5 + 20,
      'part of the second study',
      30_000,
    );
    process.kill(berth.child.pid!, 'SIGKILL');
    await berth.ended;
    const interrupted = await sending;
    expect(interrupted.code).not.to.equal(0); // storescu saw its association die
    const acknowledged = (await readEvents(log))
      .filter((e) => e.event === 'receive.instance-received')
      .map((e) => String(e['sopInstanceUid']));
    berth = await listen(['--idle', '1']);
    await until(
      async () => {
        const s = await groupStatus();
        return s.length === 2 && s.every((g) => g.status === 'sent');
      },
      'both studies to be run after the restart',
      60_000,
    );
    const groups = await groupStatus();
    const stored = new Set<string>();
    for (const g of groups)
      for (const f of await readdir(path.join(spool, 'groups', g.key, 'instances')))
        stored.add(f.slice(0, -4));
    for (const uid of acknowledged) expect(stored.has(uid), uid).to.equal(true);
    // The interrupted run started twice, and completed once; the second study ran once.
    const runs = deriveRuns(machine);
    expect(runs.filter((n) => n === 5)).to.have.length(2);
    expect(runs.filter((n) => n !== 5)).to.have.length(1);
    expect(groups.map((g) => g.runs)).to.deep.equal([1, 1]);
    berth.child.kill('SIGTERM');
    expect((await berth.ended).code).to.equal(0);
  });

  it('delays delivery while the destination is down and delivers once it is back', async () => {
    makeDeriveMachine(machine);
    const study = await writeSeries(path.join(dir, 'a'), { instances: 3, seed: 31 });
    const peerPort = await freePort();
    const berth = await listen([
      '--idle',
      '0.5',
      '--dest',
      `PEER@127.0.0.1:${peerPort}`,
      '--retry-initial',
      '500ms',
      '--retry-max',
      '1s',
    ]);
    expect((await storescu(berth.port, [], study.dir)).code).to.equal(0);
    await until(
      async () => (await readEvents(log)).filter((e) => e.event === 'delivery.failed').length >= 2,
      'two failed attempts',
      60_000,
    );
    const out = path.join(dir, 'peer');
    await storescp(out, peerPort);
    await until(
      async () => (await groupStatus())[0]?.status === 'sent',
      'delivery after the peer is back',
      60_000,
    );
    expect(await readdir(out)).to.have.length(2);
    berth.child.kill('SIGTERM');
    await berth.ended;
  });

  it('ends a study that breaks the constraints as not-applicable, never runs the machine and sends nothing', async () => {
    makeDeriveMachine(machine);
    const mr: WrittenSeries = await writeSeries(path.join(dir, 'mr'), {
      instances: 2,
      seed: 41,
      modality: 'MR',
    });
    const out = path.join(dir, 'peer');
    const peerPort = await freePort();
    await storescp(out, peerPort);
    const berth = await listen(['--idle', '0.5', '--dest', `PEER@127.0.0.1:${peerPort}`]);
    expect((await storescu(berth.port, [], mr.dir)).code).to.equal(0);
    await until(async () => (await groupStatus())[0]?.status === 'not-applicable', 'not-applicable', 60_000);
    expect(deriveRuns(machine)).to.deep.equal([]);
    expect(await readdir(out)).to.deep.equal([]);
    const table = await runCli(['listen', '--status', '--spool', spool]);
    expect(table.stdout).to.match(/not-applicable/);
    berth.child.kill('SIGTERM');
    await berth.ended;
  });

  it('drains on SIGTERM: the run under way finishes and is recorded before berth exits 0', async () => {
    makeDeriveMachine(machine, 2);
    const study = await writeSeries(path.join(dir, 'a'), { instances: 2, seed: 61 });
    const berth = await listen(['--idle', '0.3']);
    expect((await storescu(berth.port, [], study.dir)).code).to.equal(0);
    await until(() => deriveRuns(machine).length === 1, 'the run to start', 30_000);
    berth.child.kill('SIGTERM');
    const end = await berth.ended;
    expect(end.code, end.stderr).to.equal(0);
    const [group] = await groupStatus();
    expect([group!.status, group!.runs]).to.deep.equal(['sent', 1]);
    const events = (await readEvents(log)).map((e) => e.event);
    expect(events.indexOf('run.finished')).to.be.greaterThan(events.indexOf('listen.draining'));
    expect(events.at(-1)).to.equal('listen.stopped');
  });

  it('stops at once on a second signal, killing the running machine, and runs the study again at the next start', async () => {
    makeDeriveMachine(machine, 60);
    const study = await writeSeries(path.join(dir, 'a'), { instances: 2, seed: 62 });
    let berth = await listen(['--idle', '0.3']);
    expect((await storescu(berth.port, [], study.dir)).code).to.equal(0);
    await until(() => derivePids(machine).length === 1, 'the run to start', 30_000);
    berth.child.kill('SIGTERM');
    await until(async () => (await readEvents(log)).some((e) => e.event === 'listen.draining'), 'the drain');
    berth.child.kill('SIGTERM');
    expect((await berth.ended).code).to.equal(130);
    await until(() => !alive(derivePids(machine)[0]!), 'the machine to be stopped', 10_000);
    makeDeriveMachine(machine); // no sleep now
    berth = await listen(['--idle', '0.3']);
    await until(async () => (await groupStatus())[0]?.status === 'sent', 'the run taken up', 60_000);
    expect(deriveRuns(machine)).to.deep.equal([2, 2]);
    berth.child.kill('SIGTERM');
    await berth.ended;
  });

  it('stops the machine a SIGKILLed berth left running before it runs the study again', async () => {
    makeDeriveMachine(machine, 60);
    const study = await writeSeries(path.join(dir, 'a'), { instances: 2, seed: 63 });
    let berth = await listen(['--idle', '0.3']);
    expect((await storescu(berth.port, [], study.dir)).code).to.equal(0);
    await until(() => derivePids(machine).length === 1, 'the run to start', 30_000);
    process.kill(berth.child.pid!, 'SIGKILL');
    await berth.ended;
    const orphan = derivePids(machine)[0]!;
    expect(alive(orphan)).to.equal(true); // the process driver's machine outlives berth
    makeDeriveMachine(machine); // no sleep now
    berth = await listen(['--idle', '0.3']);
    await until(() => !alive(orphan), 'the orphaned machine to be stopped', 10_000);
    await until(async () => (await groupStatus())[0]?.status === 'sent', 'the run taken up', 60_000);
    expect(deriveRuns(machine)).to.deep.equal([2, 2]);
    const events = await berth.events();
    const stopped = events.find((e) => e.event === 'run.orphan-stopped');
    expect(stopped?.['notes']).to.satisfy((n: string[]) => n.some((x) => /stopped \d+ process/.test(x)));
    // Stopped before the run started again.
    expect(events.indexOf(stopped!)).to.be.below(events.findIndex((e) => e.event === 'run.started'));
    berth.child.kill('SIGTERM');
    await berth.ended;
  });

  it('takes the STOW-RS receive token from BERTH_TOKEN, so it is not on its command line', async () => {
    makeDeriveMachine(machine);
    const token = `r3c.${Date.now()}`;
    const httpPort = await freePort();
    const berth = await startListenCli([machine, '--spool', spool, '--http-port', String(httpPort)], log, {
      env: { ...process.env, BERTH_TOKEN: token },
    });
    children.push(berth.child);
    expect(readFileSync(`/proc/${berth.child.pid}/cmdline`, 'latin1')).not.to.contain(token);
    const post = (auth?: string) =>
      fetch(`http://127.0.0.1:${httpPort}/dicom-web/studies`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', ...(auth ? { authorization: auth } : {}) },
        body: 'x',
        signal: AbortSignal.timeout(10_000),
      });
    expect((await post()).status).to.equal(401);
    expect((await post('Bearer wrong')).status).to.equal(401);
    // With the token the request gets past authentication and is refused for its body instead.
    expect((await post(`Bearer ${token}`)).status).to.equal(415);
  });

  it('sends the derived series by STOW-RS with the bearer token of --dest-token-file, which never appears on its command line', async () => {
    makeDeriveMachine(machine);
    const study = await writeSeries(path.join(dir, 'a'), { instances: 2, seed: 64 });
    const token = `t0k.${Date.now()}`;
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(req.headers.authorization);
        res.writeHead(req.headers.authorization === `Bearer ${token}` ? 200 : 401).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
      const berth = await listen(['--idle', '0.3', '--dest', url, '--dest-token-file', tokenFile]);
      expect(readFileSync(`/proc/${berth.child.pid}/cmdline`, 'latin1')).not.to.contain(token);
      expect((await storescu(berth.port, [], study.dir)).code).to.equal(0);
      await until(async () => (await groupStatus())[0]?.status === 'sent', 'the STOW-RS delivery', 60_000);
      expect(seen).to.deep.equal([`Bearer ${token}`]);
      berth.child.kill('SIGTERM');
      await berth.ended;
    } finally {
      server.close();
    }
  });

  it('with --prune-after, removes a sent study’s instances and run data after the window, keeping its state and reports', async () => {
    makeDeriveMachine(machine);
    const study = await writeSeries(path.join(dir, 'a'), { instances: 2, seed: 65 });
    const berth = await listen(['--idle', '0.3', '--prune-after', '1s']);
    expect((await storescu(berth.port, [], study.dir)).code).to.equal(0);
    await until(
      async () => (await berth.events()).some((e) => e.event === 'group.pruned'),
      'the prune',
      60_000,
    );
    const [group] = await groupStatus();
    expect([group!.status, group!.instances, group!.runs]).to.deep.equal(['sent', 0, 1]);
    const run = path.join(spool, 'groups', group!.key, 'runs', 'r1');
    expect((await readdir(run)).sort()).to.deep.equal(['case.json', 'report.html', 'report.json']);
    berth.child.kill('SIGTERM');
    await berth.ended;
  });

  it('rejects the association of a calling AE title --allow-aet does not list, and accepts the listed ones', async () => {
    makeDeriveMachine(machine);
    const berth = await listen(['--allow-aet', 'MODALITY,PACS']);
    const echo = (aet: string) =>
      runTool('/usr/bin/echoscu', ['-aet', aet, '-aec', 'BERTH', '127.0.0.1', String(berth.port)], 30_000);
    expect((await echo('INTRUDER')).code).not.to.equal(0);
    expect((await echo('PACS')).code).to.equal(0);
    const events = await readEvents(log);
    expect(events.find((e) => e.event === 'receive.association-rejected')).to.include({
      callingAet: 'INTRUDER',
    });
    berth.child.kill('SIGTERM');
    expect((await berth.ended).code).to.equal(0);
  });

  it('with --no-fsync commits what it receives without syncing it, and says so in its start event', async () => {
    makeDeriveMachine(machine);
    const series = await writeSeries(path.join(dir, 'in'), { instances: 3, seed: 5 });
    const berth = await listen(['--no-fsync', '--idle', '600']);
    expect((await berth.events()).find((e) => e.event === 'listen.started')).to.include({ fsync: false });
    const sent = await storescu(berth.port, [], path.join(dir, 'in'));
    expect(sent.code, sent.stderr).to.equal(0);
    const kept = await readdir(path.join(spool, 'groups', series.studyInstanceUid, 'instances'));
    expect(kept.sort()).to.deep.equal(series.files.map((f) => `${f.sopInstanceUid}.dcm`).sort());
    berth.child.kill('SIGTERM');
    expect((await berth.ended).code).to.equal(0);
  });

  it('refuses a bad --dest, a machine it cannot feed or a log it cannot write before listening, with exit 2', async () => {
    makeDeriveMachine(machine);
    const bad = await runCli(['listen', machine, '--spool', spool, '--dest', 'nowhere']);
    expect([bad.code, bad.stderr]).to.satisfy(
      ([c, e]: [number, string]) => c === 2 && e.includes('BERTH_E_LISTEN_DEST'),
    );
    // The sample machine needs threshold-hu and priority, which only --inputs can give.
    const noInput = await runCli(['listen', path.join(ROOT, 'sample-machine'), '--spool', spool]);
    expect(noInput.code).to.equal(2);
    expect(noInput.stderr).to.contain('BERTH_E_LISTEN_INPUT');
    const noLog = await runCli([
      'listen',
      machine,
      '--spool',
      spool,
      '--log',
      path.join(dir, 'missing', 'x.log'),
    ]);
    expect([noLog.code, hasStackTrace(noLog.stderr)]).to.deep.equal([2, false]);
    expect(noLog.stderr).to.contain('BERTH_E_USAGE');
    const noToken = await runCli([
      'listen',
      machine,
      '--spool',
      spool,
      '--dest',
      'https://pacs.example/dicom-web',
      '--dest-token-file',
      path.join(dir, 'missing-token'),
    ]);
    expect([noToken.code, hasStackTrace(noToken.stderr)]).to.deep.equal([2, false]);
    expect(noToken.stderr).to.contain('BERTH_E_LISTEN_DEST_TOKEN');
    for (const bad of ['0', 'soon', '-1', '5y']) {
      const r = await runCli(['listen', machine, '--spool', spool, '--prune-after', bad]);
      expect([r.code, r.stderr.includes('BERTH_E_USAGE')], bad).to.deep.equal([2, true]);
    }
  });
});
