import { expect } from 'chai';
import net from 'node:net';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import dimse from 'dcmjs-dimse';
import { writeSeries } from '../../src/dicom/synth.js';
import type { ReceiveEvent } from '../../src/net/receive-events.js';
import { startReceivers } from '../../src/net/receivers.js';
import { SpoolSink, groupInstancesDir } from '../../src/net/staging.js';
import { DCMTK_PEER } from '../support/dicom-peers.js';
import { runTool } from '../support/dicom-net.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('net/receivers', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(async function () {
    await requirePeer(this, DCMTK_PEER);
    dir = await tempDir('receivers');
  });
  afterEach(() => removeDir(dir));

  it('starts the SCP and the STOW-RS endpoint on free ports and stops both on close', async () => {
    const sink = new SpoolSink({ spool: path.join(dir, 'spool') });
    const r = await startReceivers({ port: 0, httpPort: 0 }, sink);
    expect(r.httpPort).to.be.a('number');
    const echo = await runTool('/usr/bin/echoscu', ['-aec', 'BERTH', '127.0.0.1', String(r.dimsePort)]);
    expect(echo.code, echo.stderr).to.equal(0);
    await r.close();
    expect(await listening(r.dimsePort)).to.equal(false);
    expect(await listening(r.httpPort!)).to.equal(false);
  });

  it('on close past the drain bound commits what an open association had acknowledged, then aborts it', async () => {
    const series = await writeSeries(path.join(dir, 'in'), { instances: 1 });
    const spool = path.join(dir, 'spool');
    const events: ReceiveEvent[] = [];
    const r = await startReceivers(
      { port: 0, drainMs: 300, onEvent: (e) => events.push(e) },
      new SpoolSink({ spool }),
    );
    const client = new dimse.Client();
    client.addRequest(new dimse.requests.CStoreRequest(series.files[0]!.path));
    const closed = new Promise<void>((resolve) => client.on('closed', () => resolve()));
    // The client would hold its association 20 s after its store: berth's drain ends it first.
    client.send('127.0.0.1', r.dimsePort, 'HOLDER', 'BERTH', { associationLingerTimeout: 20_000 });
    for (let i = 0; i < 200 && !events.some((e) => e.event === 'instance-received'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Resolves long before the client's 20 s linger: the drain bound ended the association.
    await r.close();
    await closed;
    const kept = await readdir(groupInstancesDir(spool, series.studyInstanceUid));
    expect(kept).to.deep.equal([`${series.files[0]!.sopInstanceUid}.dcm`]);
    expect(events.map((e) => e.event)).to.include('batch-committed');
  });
});
