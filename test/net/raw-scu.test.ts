import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { writeSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { deliver } from '../../src/net/delivery.js';
import { parseDestination } from '../../src/net/dest.js';
import { cStoreRaw } from '../../src/net/raw-scu.js';
import { DCMTK_PEER } from '../support/dicom-peers.js';
import { dataSetBytes, runTool, startTool } from '../support/dicom-net.js';
import { freePort, until } from '../support/listen.js';
import { requirePeer } from '../support/peers.js';
import { codeOfAsync } from '../support/codes.js';
import { removeDir, tempDir } from '../support/temp.js';

/** True when something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('net/raw-scu (dcmtk storescp on 127.0.0.1)', function () {
  this.timeout(60_000);
  let dir: string;
  let peer: ChildProcess | undefined;
  beforeEach(async function () {
    await requirePeer(this, DCMTK_PEER);
    dir = await tempDir('raw-scu');
  });
  afterEach(async () => {
    if (peer?.pid !== undefined && peer.exitCode === null && peer.signalCode === null)
      process.kill(peer.pid, 'SIGKILL');
    await removeDir(dir);
  });

  /** storescp keeping files in `out`; `args` choose the syntaxes it accepts. */
  async function storescp(out: string, args: string[] = ['+xa']): Promise<number> {
    await mkdir(out, { recursive: true });
    const port = await freePort();
    peer = startTool('/usr/bin/storescp', ['-aet', 'PEER', ...args, '+B', '-od', out, String(port)]);
    await until(() => accepts(port), 'storescp to listen');
    return port;
  }

  it('stores explicit and implicit files with private tags byte for byte in one association', async () => {
    const a = await writeSeries(path.join(dir, 'a'), { instances: 3, seed: 1, privateTags: true });
    const b = await writeSeries(path.join(dir, 'b'), {
      instances: 2,
      seed: 1,
      seriesIndex: 1,
      transferSyntaxUid: TS.ImplicitVRLittleEndian,
      privateTags: true,
    });
    const out = path.join(dir, 'out');
    const port = await storescp(out);
    const files = [...a.files, ...b.files].map((f) => f.path);
    expect(
      await cStoreRaw({ host: '127.0.0.1', port, calledAet: 'PEER', callingAet: 'BERTH' }, files),
    ).to.deep.equal([]);
    const got = await readdir(out);
    expect(got).to.have.length(5);
    for (const f of [...a.files, ...b.files]) {
      const name = got.find((g) => g.endsWith(f.sopInstanceUid))!;
      expect(
        dataSetBytes(await readFile(path.join(out, name))).equals(dataSetBytes(await readFile(f.path))),
        name,
      ).to.equal(true);
    }
  });

  it('returns the files whose syntax the peer refuses, and delivery sends them converted to explicit VR little endian', async () => {
    const source = await writeSeries(path.join(dir, 's'), { instances: 1, seed: 2 });
    const jls = path.join(dir, 'jls.dcm');
    expect((await runTool('/usr/bin/dcmcjpls', [source.files[0]!.path, jls])).code).to.equal(0);
    const out = path.join(dir, 'out');
    const port = await storescp(out, []); // storescp's default: uncompressed syntaxes only
    expect(
      await cStoreRaw({ host: '127.0.0.1', port, calledAet: 'PEER', callingAet: 'BERTH' }, [jls]),
    ).to.deep.equal([jls]);
    expect(await readdir(out)).to.deep.equal([]);
    await deliver(parseDestination(`PEER@127.0.0.1:${port}`), [jls], 'BERTH');
    expect(await readdir(out)).to.have.length(1);
  });

  it('fails with BERTH_E_LISTEN_DELIVERY when nobody listens or the peer rejects the association', async () => {
    const a = await writeSeries(path.join(dir, 'a'), { instances: 1, seed: 3 });
    const free = await freePort();
    const target = { host: '127.0.0.1', port: free, calledAet: 'PEER', callingAet: 'BERTH' };
    expect(await codeOfAsync(cStoreRaw(target, [a.files[0]!.path]))).to.equal('BERTH_E_LISTEN_DELIVERY');
    const port = await storescp(path.join(dir, 'out'), ['--refuse']);
    expect(await codeOfAsync(cStoreRaw({ ...target, port }, [a.files[0]!.path]))).to.equal(
      'BERTH_E_LISTEN_DELIVERY',
    );
  });

  it('ends the association when a peer announces a PDU longer than berth receives, without buffering it', async () => {
    const a = await writeSeries(path.join(dir, 'a'), { instances: 1, seed: 4 });
    const hostile = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        const head = Buffer.alloc(6);
        head[0] = 0x02;
        head.writeUInt32BE(0xfffffff0, 2); // an A-ASSOCIATE-AC of 4 GB
        socket.write(Buffer.concat([head, Buffer.alloc(64 * 1024)]));
      });
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hostile.address() as AddressInfo).port;
      const target = { host: '127.0.0.1', port, calledAet: 'PEER', callingAet: 'BERTH' };
      // A wait for the rest of the PDU would outlast the test's own timeout (60 s).
      const sent = cStoreRaw(target, [a.files[0]!.path], { pduMs: 120_000 });
      expect(await codeOfAsync(sent)).to.equal('BERTH_E_LISTEN_DELIVERY');
    } finally {
      hostile.close();
    }
  });
});
