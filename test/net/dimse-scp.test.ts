import { expect } from 'chai';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import dimse from 'dcmjs-dimse';
import { writeSeries, type WrittenSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { startDimseScp, type DimseOptions, type DimseServer } from '../../src/net/dimse-scp.js';
import type { ReceiveEvent } from '../../src/net/receive-events.js';
import { SpoolSink, groupInstancesDir, type SpoolOptions } from '../../src/net/staging.js';
import { DCMTK_PEER } from '../support/dicom-peers.js';
import { dataSetBytes, runTool, startTool, waitTool } from '../support/dicom-net.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('net/dimse-scp (dcmtk peers on 127.0.0.1)', function () {
  this.timeout(120_000);
  let dir: string;
  let spool: string;
  let server: DimseServer | undefined;
  let events: ReceiveEvent[];

  beforeEach(async function () {
    await requirePeer(this, DCMTK_PEER);
    dir = await tempDir('dimse');
    spool = path.join(dir, 'spool');
    events = [];
  });
  afterEach(async () => {
    await server?.close(1000);
    server = undefined;
    await removeDir(dir);
  });

  async function start(options: DimseOptions = {}, spoolOptions: Partial<SpoolOptions> = {}) {
    const sink = new SpoolSink({ spool, ...spoolOptions });
    await sink.recoverStaging();
    server = await startDimseScp({ port: 0, onEvent: (e) => events.push(e), ...options }, sink);
    return server.port;
  }
  const storescu = (port: number, args: string[], files: string) =>
    runTool('/usr/bin/storescu', ['-aec', 'BERTH', ...args, '+sd', '+r', '127.0.0.1', String(port), files]);

  it('answers a dcmtk echoscu with success', async () => {
    const port = await start();
    const r = await runTool('/usr/bin/echoscu', ['-aec', 'BERTH', '127.0.0.1', String(port)], 30_000);
    expect(r.code, r.stderr).to.equal(0);
    expect(events.map((e) => e.event)).to.include('echo');
  });

  it('closes connections past twice --max-associations plus 4 at once, and keeps those below', async () => {
    const port = await start({ maxAssociations: 1 });
    const clients = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const c = net.connect(port, '127.0.0.1', () => resolve(c));
            c.on('error', () => undefined);
          }),
      ),
    );
    const closed = clients.map((c) => new Promise<boolean>((r) => c.once('close', () => r(true))));
    const within = (p: Promise<boolean>) =>
      Promise.race([p, new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
    const seen = await Promise.all(closed.map(within));
    for (const c of clients) c.destroy();
    expect(seen.filter(Boolean).length).to.equal(2);
  });

  it('keeps every instance storescu sends (explicit, implicit, JPEG-LS) with its data set byte-identical, as valid Part 10', async () => {
    const input = path.join(dir, 'in');
    const explicit = await writeSeries(path.join(input, 'explicit'), {
      instances: 4,
      privateTags: true,
      seed: 7,
    });
    const implicit = await writeSeries(path.join(input, 'implicit'), {
      instances: 3,
      seed: 7,
      seriesIndex: 1,
      transferSyntaxUid: TS.ImplicitVRLittleEndian,
    });
    const jls = path.join(input, 'jls');
    await mkdir(jls);
    const source = await writeSeries(path.join(dir, 'jls-source'), { instances: 1, seed: 7, seriesIndex: 2 });
    const jlsSource = source.files[0]!.path;
    const jlsFile = path.join(jls, 'jls.dcm');
    const enc = await runTool('/usr/bin/dcmcjpls', [jlsSource, jlsFile]);
    expect(enc.code, enc.stderr).to.equal(0);
    const port = await start();
    // One association per syntax, each proposing only its own (dcmtk converts otherwise).
    for (const [args, folder] of [
      [[], explicit.dir],
      [['-xi'], implicit.dir],
      [['-xt'], jls],
    ] as const) {
      const r = await storescu(port, [...args], folder);
      expect(r.code, r.stderr).to.equal(0);
    }
    const study = explicit.studyInstanceUid;
    expect(implicit.studyInstanceUid).to.equal(study);
    const stored = groupInstancesDir(spool, study);
    const sent = [...explicit.files, ...implicit.files].map((f) => f.path);
    expect((await readdir(stored)).length).to.equal(sent.length + 1);
    for (const file of [...sent, jlsFile]) {
      const source = await readFile(file);
      const sop = await sopOf(file);
      const got = path.join(stored, `${sop}.dcm`);
      expect(dataSetBytes(await readFile(got)).equals(dataSetBytes(source)), file).to.equal(true);
      const check = await runTool('/usr/bin/dcmftest', [got]);
      expect(check.stdout, got).to.match(/^yes:/);
    }
    expect(await readdir(path.join(spool, 'staging'))).to.deep.equal([]);
  });

  it('discards the staging of a storescu killed mid-association and keeps the study an earlier association delivered', async () => {
    const first = await writeSeries(path.join(dir, 'first'), { instances: 2, seed: 1 });
    const big = await writeSeries(path.join(dir, 'big'), { instances: 60, rows: 256, columns: 256, seed: 2 });
    const port = await start();
    expect((await storescu(port, [], first.dir)).code).to.equal(0);
    const child = startTool('/usr/bin/storescu', [
      '-aec',
      'BERTH',
      '+sd',
      '127.0.0.1',
      String(port),
      big.dir,
    ]);
    const done = waitTool(child, 60_000);
    await until(() => events.some((e) => e.event === 'instance-received' && e.batch !== firstBatch(events)));
    process.kill(child.pid!, 'SIGKILL');
    await done;
    await until(() => events.some((e) => e.event === 'batch-discarded'));
    expect(await readdir(path.join(spool, 'staging'))).to.deep.equal([]);
    expect(await readdir(groupInstancesDir(spool, first.studyInstanceUid))).to.have.length(2);
    await expectNoGroup(big);
  });

  it('rejects the association of a calling AE title that is not allowed', async () => {
    const port = await start({ allowAet: ['MODALITY1'] });
    const r = await runTool('/usr/bin/echoscu', [
      '-aet',
      'INTRUDER',
      '-aec',
      'BERTH',
      '127.0.0.1',
      String(port),
    ]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr + r.stdout).to.match(/Association Rejected/i);
    expect(events).to.deep.include({
      event: 'association-rejected',
      remote: (events[0] as { remote: string }).remote,
      callingAet: 'INTRUDER',
      calledAet: 'BERTH',
      code: 'BERTH_E_LISTEN_RECEIVE_AET',
    });
    const ok = await runTool('/usr/bin/echoscu', [
      '-aet',
      'MODALITY1',
      '-aec',
      'BERTH',
      '127.0.0.1',
      String(port),
    ]);
    expect(ok.code, ok.stderr).to.equal(0);
  });

  it('rejects an association calling another AE title than berth’s', async () => {
    const port = await start();
    const r = await runTool('/usr/bin/echoscu', ['-aec', 'OTHER', '127.0.0.1', String(port)]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr + r.stdout).to.match(/Association Rejected/i);
  });

  it('refuses new associations while the spool is above the disk watermark', async () => {
    const series = await writeSeries(path.join(dir, 'in'), { instances: 1 });
    const port = await start({}, { watermarkPercent: 0 });
    const r = await storescu(port, [], series.dir);
    expect(r.code).to.not.equal(0);
    expect(r.stderr + r.stdout).to.match(/Association Rejected/i);
    expect(events.map((e) => 'code' in e && e.code)).to.include('BERTH_E_LISTEN_RECEIVE_FULL');
    await expectNoGroup(series);
  });

  it('answers 0xA700 (out of resources) to an instance sent while the spool is above the watermark', async () => {
    const series = await writeSeries(path.join(dir, 'in'), { instances: 1 });
    const sink = new SpoolSink({ spool });
    let full = false;
    // The spool fills up as the association opens: its instances must be refused.
    const filling = Object.assign(Object.create(sink) as SpoolSink, {
      full: async () => full,
      open: async (source: Parameters<SpoolSink['open']>[0]) => {
        full = true;
        await new Promise((resolve) => setTimeout(resolve, 200));
        return sink.open(source);
      },
    });
    server = await startDimseScp({ port: 0, watermarkPollMs: 20, onEvent: (e) => events.push(e) }, filling);
    const file = series.files[0]!.path;
    const r = await runTool('/usr/bin/storescu', [
      '-aec',
      'BERTH',
      '-v',
      '127.0.0.1',
      String(server.port),
      file,
    ]);
    expect(r.stderr + r.stdout).to.match(/OutOfResources/);
    await expectNoGroup(series);
  });

  it('answers 0xA700 (out of resources) to an instance larger than the limit and keeps none of it', async () => {
    const series = await writeSeries(path.join(dir, 'in'), { instances: 1, rows: 128, columns: 128 });
    const port = await start({}, { maxInstanceBytes: 4096 });
    const r = await runTool('/usr/bin/storescu', [
      '-aec',
      'BERTH',
      '-v',
      '127.0.0.1',
      String(port),
      series.files[0]!.path,
    ]);
    expect(r.stderr + r.stdout).to.match(/OutOfResources/);
    expect(events.map((e) => 'code' in e && e.code)).to.include('BERTH_E_LISTEN_RECEIVE_TOO_LARGE');
    await expectNoGroup(series);
  });

  it('rejects an association beyond the association limit while the others stay open', async () => {
    const port = await start({ maxAssociations: 1 });
    const client = new dimse.Client();
    client.addRequest(new dimse.requests.CEchoRequest());
    const accepted = new Promise<void>((resolve) => client.on('associationAccepted', () => resolve()));
    const released = new Promise<void>((resolve) => client.on('closed', () => resolve()));
    // The client keeps its association open 3 s after its echo.
    client.send('127.0.0.1', port, 'HOLDER', 'BERTH', { associationLingerTimeout: 3000 });
    await accepted;
    const r = await runTool('/usr/bin/echoscu', ['-aec', 'BERTH', '127.0.0.1', String(port)], 30_000);
    expect(r.code).to.not.equal(0);
    expect(events.map((e) => 'code' in e && e.code)).to.include('BERTH_E_LISTEN_RECEIVE_BUSY');
    await released;
  });

  it('aborts an association that stays silent past the idle timeout and discards its staging', async () => {
    const port = await start({ idleTimeoutMs: 500 });
    const client = new dimse.Client();
    client.addRequest(new dimse.requests.CEchoRequest());
    const closed = new Promise<void>((resolve) => client.on('closed', () => resolve()));
    // The client would stay silent 30 s after its echo; berth ends the association first.
    client.send('127.0.0.1', port, 'SILENT', 'BERTH', { associationLingerTimeout: 30_000 });
    await closed;
    await until(() => events.some((e) => e.event === 'batch-discarded'));
    expect(await readdir(path.join(spool, 'staging'))).to.deep.equal([]);
  });

  async function expectNoGroup(series: WrittenSeries) {
    const groups = await readdir(path.join(spool, 'groups')).catch(() => []);
    expect(groups).to.not.include(series.studyInstanceUid);
  }
});

function firstBatch(events: readonly ReceiveEvent[]): string | undefined {
  const e = events.find((x) => x.event === 'batch-committed');
  return e && 'batch' in e ? e.batch : undefined;
}

async function sopOf(file: string): Promise<string> {
  const { scanHeader } = await import('../../src/dicom/scan.js');
  return (await scanHeader(file)).SOPInstanceUID;
}

/** Waits (bounded: 30 s) until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!done()) throw new Error('timed out waiting');
}
