/**
 * `berth listen` with Orthanc as source and destination, each test in a network namespace of its
 * own (Orthanc binds every interface): Orthanc C-STOREs a study to berth, berth's outputs go back
 * to Orthanc by C-STORE or STOW-RS, and are then found there by QIDO-RS.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeSeries, type WrittenSeries } from '../../src/dicom/synth.js';
import { DCMTK_PEER, PYDICOM_PEER } from '../support/dicom-peers.js';
import { runCli } from '../support/cli.js';
import { deriveRuns, makeDeriveMachine, startListenCli, until } from '../support/listen.js';
import { makeNetNs, ORTHANC_PEER, startOrthanc, type NetNs, type OrthancPeer } from '../support/orthanc.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';

const BERTH_PORT = 11112;
const STOW_PORT = 8080;
const SERIES_DESCRIPTION = '0008103E';

describe('berth listen with Orthanc (in a network namespace)', function () {
  this.timeout(120_000);
  let dir: string;
  let machine: string;
  let spool: string;
  let ns: NetNs | undefined;
  let orthanc: OrthancPeer | undefined;
  let berth: ChildProcess | undefined;

  before(async function () {
    await requirePeer(this, ORTHANC_PEER);
    await requirePeer(this, DCMTK_PEER);
    await requirePeer(this, PYDICOM_PEER);
  });
  beforeEach(async () => {
    dir = await tempDir('listen-orthanc');
    machine = path.join(dir, 'machine');
    spool = path.join(dir, 'spool');
    makeDeriveMachine(machine);
    ns = await makeNetNs();
    orthanc = await startOrthanc(ns, path.join(dir, 'orthanc'), {
      berth: ['BERTH', '127.0.0.1', BERTH_PORT],
    });
  });
  afterEach(async () => {
    if (berth?.pid !== undefined && berth.exitCode === null && berth.signalCode === null)
      process.kill(berth.pid, 'SIGKILL');
    orthanc?.stop();
    ns?.stop();
    await removeDir(dir);
  });

  async function listen(dest: string, more: string[] = []): Promise<void> {
    const p = await startListenCli(
      [machine, '--spool', spool, '--idle', '1', '--dest', dest, ...more],
      path.join(dir, 'events.log'),
      {
        wrap: ns!.wrap,
        port: BERTH_PORT,
      },
    );
    berth = p.child;
  }
  async function sent(): Promise<boolean> {
    const status = JSON.parse((await runCli(['listen', '--status', '--json', '--spool', spool])).stdout) as {
      status: string;
    }[];
    return status.length === 1 && status[0]!.status === 'sent';
  }
  /** The study's series in Orthanc by QIDO-RS, as {SeriesInstanceUID: SeriesDescription}. */
  async function qidoSeries(study: string): Promise<Record<string, string>> {
    const r = await orthanc!.curl([
      `${orthanc!.http}/dicom-web/studies/${study}/series?includefield=${SERIES_DESCRIPTION}`,
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const list = JSON.parse(r.stdout) as Record<string, { Value?: string[] }>[];
    return Object.fromEntries(
      list.map((s) => [s['0020000E']!.Value![0]!, s[SERIES_DESCRIPTION]?.Value?.[0] ?? '']),
    );
  }
  /** Uploads a study to Orthanc over REST; returns Orthanc's id of it. */
  async function upload(series: WrittenSeries): Promise<string> {
    let id = '';
    for (const f of series.files) {
      const r = await orthanc!.curl([
        '-X',
        'POST',
        '--data-binary',
        `@${f.path}`,
        `${orthanc!.http}/instances`,
      ]);
      expect(r.code, r.stderr).to.equal(0);
      id = (JSON.parse(r.stdout) as { ParentStudy: string }).ParentStudy;
    }
    return id;
  }

  it('runs a study Orthanc C-STOREs to berth and stores the outputs back in Orthanc by C-STORE, found there by QIDO-RS', async () => {
    const study = await writeSeries(path.join(dir, 'in'), { instances: 4, seed: 51 });
    const orthancId = await upload(study);
    await listen(`ORTHANC@127.0.0.1:${orthanc!.dicomPort}`);
    const store = await orthanc!.curl([
      '-X',
      'POST',
      '-d',
      orthancId,
      `${orthanc!.http}/modalities/berth/store`,
    ]);
    expect(store.code, store.stderr).to.equal(0);
    await until(sent, 'the study to be run and sent', 60_000);
    expect(deriveRuns(machine)).to.deep.equal([4]);
    const series = await qidoSeries(study.studyInstanceUid);
    expect(Object.keys(series)).to.have.length(2); // the study's own series and berth's
    expect(Object.values(series)).to.include('berth listen derived');
    const derived = Object.keys(series).find((k) => series[k] === 'berth listen derived')!;
    const instances = await orthanc!.curl([
      `${orthanc!.http}/dicom-web/studies/${study.studyInstanceUid}/series/${derived}/instances`,
    ]);
    expect(JSON.parse(instances.stdout)).to.have.length(2);
  });

  it('stores the outputs in Orthanc by STOW-RS when the destination is its DICOMweb root', async () => {
    const study = await writeSeries(path.join(dir, 'in'), { instances: 3, seed: 52 });
    await listen(`${orthanc!.http}/dicom-web`);
    const r = await ns!.run('/usr/bin/storescu', [
      '-aec',
      'BERTH',
      '+sd',
      '+r',
      '127.0.0.1',
      String(BERTH_PORT),
      study.dir,
    ]);
    expect(r.code, r.stderr).to.equal(0);
    await until(sent, 'the study to be run and sent', 60_000);
    const series = await qidoSeries(study.studyInstanceUid);
    expect(Object.values(series)).to.deep.equal(['berth listen derived']);
  });

  it('runs a study received by STOW-RS (curl, multipart/related) and stores the outputs in Orthanc by STOW-RS', async () => {
    const study = await writeSeries(path.join(dir, 'in'), { instances: 3, seed: 53 });
    await listen(`${orthanc!.http}/dicom-web`, ['--http-port', String(STOW_PORT)]);
    const boundary = 'berth-test-boundary';
    const parts = await Promise.all(study.files.map((f) => readFile(f.path)));
    const body = Buffer.concat([
      ...parts.flatMap((p) => [
        Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
        p,
        Buffer.from('\r\n'),
      ]),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const bodyFile = path.join(dir, 'stow.body');
    await writeFile(bodyFile, body);
    const r = await ns!.run('/usr/bin/curl', [
      '-sS',
      '-f',
      '--max-time',
      '30',
      '-X',
      'POST',
      '-H',
      `Content-Type: multipart/related; type="application/dicom"; boundary=${boundary}`,
      '--data-binary',
      `@${bodyFile}`,
      `http://127.0.0.1:${STOW_PORT}/dicom-web/studies`,
    ]);
    expect(r.code, r.stderr).to.equal(0);
    await until(sent, 'the study to be run and sent', 60_000);
    expect(deriveRuns(machine)).to.deep.equal([3]);
    const series = await qidoSeries(study.studyInstanceUid);
    expect(Object.values(series)).to.deep.equal(['berth listen derived']);
  });
});
