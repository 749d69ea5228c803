import { expect } from 'chai';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeSeries, type WrittenSeries } from '../../src/dicom/synth.js';
import type { ReceiveEvent } from '../../src/net/receive-events.js';
import { SpoolSink, groupInstancesDir, type SpoolOptions } from '../../src/net/staging.js';
import { startStowServer, type StowOptions, type StowServer } from '../../src/net/stow-server.js';
import { runTool } from '../support/dicom-net.js';
import { removeDir, tempDir } from '../support/temp.js';

/** The parts of a STOW-RS answer (or an error) the tests read. */
type Item = Record<string, { Value: (string | number)[] }>;
interface Answer {
  '00081199'?: { Value: Item[] };
  '00081198'?: { Value: Item[] };
  error?: { code: string };
}

const BOUNDARY = 'berth-test-boundary';
const DICOM_MULTIPART = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;

/** A multipart/related body of these parts (each `application/dicom` unless given a type). */
function multipart(parts: readonly (Buffer | { type: string; bytes: Buffer })[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const { type, bytes } = Buffer.isBuffer(p) ? { type: 'application/dicom', bytes: p } : p;
    out.push(Buffer.from(`--${BOUNDARY}\r\nContent-Type: ${type}\r\n\r\n`), bytes, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(out);
}

describe('net/stow-server (curl on 127.0.0.1)', function () {
  this.timeout(60_000);
  let dir: string;
  let spool: string;
  let series: WrittenSeries;
  let server: StowServer | undefined;
  let events: ReceiveEvent[];

  beforeEach(async () => {
    dir = await tempDir('stow');
    spool = path.join(dir, 'spool');
    series = await writeSeries(path.join(dir, 'in'), {
      instances: 2,
      rows: 32,
      columns: 32,
      privateTags: true,
    });
    events = [];
  });
  afterEach(async () => {
    await server?.close(1000);
    server = undefined;
    await removeDir(dir);
  });

  async function start(options: Partial<StowOptions> = {}, spoolOptions: Partial<SpoolOptions> = {}) {
    server = await startStowServer(
      { port: 0, onEvent: (e) => events.push(e), ...options },
      new SpoolSink({ spool, ...spoolOptions }),
    );
    return server.port;
  }

  /** POSTs `body` with curl; resolves the status and the parsed JSON answer. */
  async function post(
    port: number,
    route: string,
    body: Buffer,
    contentType = DICOM_MULTIPART,
    extra: string[] = [],
  ) {
    const file = path.join(dir, `body-${Date.now()}-${Math.random()}.bin`);
    await writeFile(file, body);
    const r = await runTool('/usr/bin/curl', [
      '-sS',
      '-o',
      '-',
      '-w',
      '\n%{http_code}',
      '-X',
      'POST',
      '-H',
      `Content-Type: ${contentType}`,
      ...extra,
      '--data-binary',
      `@${file}`,
      `http://127.0.0.1:${port}${route}`,
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const cut = r.stdout.lastIndexOf('\n');
    return {
      status: Number(r.stdout.slice(cut + 1)),
      json: JSON.parse(r.stdout.slice(0, cut)) as Answer,
    };
  }
  const files = () => Promise.all(series.files.map((f) => readFile(f.path)));

  it('stores every instance of a request byte-identical and answers 200 with the ReferencedSOPSequence', async () => {
    const port = await start();
    const { status, json } = await post(port, '/dicom-web/studies', multipart(await files()));
    expect(status).to.equal(200);
    expect(json['00081199']!.Value.map((i) => i['00081155']!.Value[0])).to.have.members(
      series.files.map((f) => f.sopInstanceUid),
    );
    expect(json).to.not.have.property('00081198');
    for (const f of series.files) {
      const got = await readFile(
        path.join(groupInstancesDir(spool, series.studyInstanceUid), `${f.sopInstanceUid}.dcm`),
      );
      expect(got.equals(await readFile(f.path))).to.equal(true);
    }
    expect(await readdir(path.join(spool, 'staging'))).to.deep.equal([]);
  });

  it('fails an instance of another study than the path names (0xA900) and answers 202 when others were stored, 409 when none was', async () => {
    const port = await start();
    const [a, b] = await files();
    const other = '1.2.826.0.1.3680043.10.1.1';
    const none = await post(port, `/dicom-web/studies/${other}`, multipart([a!, b!]));
    expect(none.status).to.equal(409);
    expect(none.json['00081198']!.Value.map((i) => i['00081197']!.Value[0])).to.deep.equal([0xa900, 0xa900]);
    const notDicom = { type: 'application/dicom', bytes: Buffer.from('not DICOM') };
    const some = await post(port, `/dicom-web/studies/${series.studyInstanceUid}`, multipart([a!, notDicom]));
    expect(some.status).to.equal(202);
    expect(some.json['00081199']!.Value).to.have.length(1);
    expect(some.json['00081198']!.Value[0]!['00081197']!.Value).to.deep.equal([0xc000]);
  });

  it('answers a malformed body with 400 and a code, keeps nothing of it, and goes on serving', async () => {
    const port = await start();
    const [a] = await files();
    const cut = multipart([a!]).subarray(0, 2000);
    const bad = await post(port, '/dicom-web/studies', cut);
    expect(bad.status).to.equal(400);
    expect(bad.json.error?.code).to.equal('BERTH_E_LISTEN_STOW_MULTIPART');
    expect(await readdir(path.join(spool, 'staging'))).to.deep.equal([]);
    const headerless = Buffer.from(`--${BOUNDARY}\r\nbroken header line\r\n\r\nx\r\n--${BOUNDARY}--`);
    expect((await post(port, '/dicom-web/studies', headerless)).json.error?.code).to.equal(
      'BERTH_E_LISTEN_STOW_MULTIPART',
    );
    expect((await post(port, '/dicom-web/studies', multipart([a!]))).status).to.equal(200);
  });

  it('answers 415 with a code to a body that is not multipart/related of application/dicom', async () => {
    const port = await start();
    const r = await post(port, '/dicom-web/studies', Buffer.from('{}'), 'application/json');
    expect(r.status).to.equal(415);
    expect(r.json.error?.code).to.equal('BERTH_E_LISTEN_STOW_MEDIA_TYPE');
    const xml = `multipart/related; type="application/dicom+xml"; boundary=${BOUNDARY}`;
    expect((await post(port, '/dicom-web/studies', multipart([]), xml)).status).to.equal(415);
  });

  it('asks for the bearer token when --token is set', async () => {
    const port = await start({ token: 's3cret' });
    const body = multipart(await files());
    const no = await post(port, '/dicom-web/studies', body);
    expect(no.status).to.equal(401);
    expect(no.json.error?.code).to.equal('BERTH_E_HTTP_UNAUTHORIZED');
    const yes = await post(port, '/dicom-web/studies', body, DICOM_MULTIPART, [
      '-H',
      'Authorization: Bearer s3cret',
    ]);
    expect(yes.status).to.equal(200);
  });

  it('answers 503 while the spool is above the disk watermark', async () => {
    const port = await start({}, { watermarkPercent: 0 });
    const r = await post(port, '/dicom-web/studies', multipart(await files()));
    expect(r.status).to.equal(503);
    expect(r.json.error?.code).to.equal('BERTH_E_LISTEN_RECEIVE_FULL');
  });
});
