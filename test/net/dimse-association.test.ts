import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { writeSeries, SOP_CLASS } from '../../src/dicom/synth.js';
import { startDimseScp, type DimseServer } from '../../src/net/dimse-scp.js';
import { PduReader } from '../../src/net/pdu-reader.js';
import { associateRq, commandStatus, cStoreRq, pData, PDU, RELEASE_RQ } from '../../src/net/scu-pdu.js';
import { groupInstancesDir, SpoolSink } from '../../src/net/staging.js';
import { dataSetBytes } from '../support/dicom-net.js';
import { removeDir, tempDir } from '../support/temp.js';

/**
 * Sends `send[0]` (an A-ASSOCIATE-RQ), then the rest once accepted; returns what came back in order,
 * `rsp:<status>` per C-STORE-RSP and PDU names else, once `until` holds or the connection closes.
 */
async function exchange(port: number, send: Buffer[], until: (seen: string[]) => boolean): Promise<string[]> {
  const seen: string[] = [];
  const [request, ...rest] = send;
  const socket = net.connect(port, '127.0.0.1', () => socket.write(request!));
  socket.setNoDelay(true);
  const names: Record<number, string> = {
    [PDU.associateAc]: 'accept',
    [PDU.releaseRp]: 'release',
    [PDU.abort]: 'abort',
  };
  let command: Buffer[] = [];
  const reader = new PduReader({
    pdu: (p) => seen.push(names[p[0] as number] ?? `pdu:${p[0]}`),
    pdv: (_id, control, bytes, end) => {
      command.push(Buffer.from(bytes));
      if (!end || (control & 2) === 0) return;
      seen.push(`rsp:${commandStatus(Buffer.concat(command))}`);
      command = [];
    },
    error: (e) => seen.push(e.message),
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer: ${seen.join(' ')}`)), 10_000);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    socket.on('data', (chunk) => {
      const first = seen.length === 0;
      reader.push(chunk);
      if (first && seen[0] === 'accept') for (const b of rest) socket.write(b);
      if (until(seen)) done();
    });
    socket.on('close', done);
    socket.on('error', done);
  });
  return seen;
}

describe('net/dimse-association (a raw peer on 127.0.0.1)', () => {
  let dir: string;
  let server: DimseServer | undefined;
  beforeEach(async () => (dir = await tempDir('dimse-assoc')));
  afterEach(async () => {
    await server?.close(1000);
    server = undefined;
    await removeDir(dir);
  });

  async function start(): Promise<{ port: number; spool: string }> {
    const spool = path.join(dir, 'spool');
    const sink = new SpoolSink({ spool });
    await sink.recoverStaging();
    server = await startDimseScp({ port: 0 }, sink);
    return { port: server.port, spool };
  }
  const associate = (transferSyntax: string) =>
    associateRq(
      'BERTH',
      'RAW',
      [{ id: 1, abstractSyntax: SOP_CLASS.CT, transferSyntax }],
      { classUid: '1.2.3', version: 'RAW' },
      16384,
    );

  it('answers every C-STORE of a peer that asks for release without waiting, before the release, and commits them all', async () => {
    const series = await writeSeries(path.join(dir, 'in'), { instances: 3, rows: 32, columns: 32 });
    const { port, spool } = await start();
    const stores: Buffer[] = [];
    for (const [i, f] of series.files.entries()) {
      const data = dataSetBytes(await readFile(f.path));
      stores.push(pData(1, true, true, cStoreRq(i + 1, SOP_CLASS.CT, f.sopInstanceUid)));
      // The data set in two PDVs, the second cut mid-element.
      stores.push(pData(1, false, false, data.subarray(0, 101)), pData(1, false, true, data.subarray(101)));
    }
    const seen = await exchange(port, [associate(series.transferSyntaxUid), ...stores, RELEASE_RQ], (s) =>
      s.includes('release'),
    );
    expect(seen).to.deep.equal(['accept', 'rsp:0', 'rsp:0', 'rsp:0', 'release']);
    const kept = await readFile(
      path.join(groupInstancesDir(spool, series.studyInstanceUid), `${series.files[0]!.sopInstanceUid}.dcm`),
    );
    expect(dataSetBytes(kept).equals(dataSetBytes(await readFile(series.files[0]!.path)))).to.equal(true);
  });

  it('aborts a peer that sends a data set on a presentation context berth did not accept', async () => {
    const { port } = await start();
    const store = pData(3, true, true, cStoreRq(1, SOP_CLASS.CT, '1.2.3.4'));
    const seen = await exchange(port, [associate('1.2.840.10008.1.2.1'), store], (s) => s.includes('abort'));
    expect(seen).to.deep.equal(['accept', 'abort']);
  });
  it('aborts a peer whose command set never ends, instead of holding it in memory', async () => {
    const { port } = await start();
    // 80 command fragments of 1,000 bytes, none marked last: past berth's 64 KiB bound.
    const fragments = Array.from({ length: 80 }, () => pData(1, true, false, Buffer.alloc(1000)));
    const seen = await exchange(port, [associate('1.2.840.10008.1.2.1'), ...fragments], (s) =>
      s.includes('abort'),
    );
    expect(seen).to.deep.equal(['accept', 'abort']);
  });
});
