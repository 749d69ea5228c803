import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeSeries } from '../../src/dicom/synth.js';
import { deliver } from '../../src/net/delivery.js';
import { parseDestination, withTokenFiles } from '../../src/net/dest.js';
import { stowFiles, stowUrl } from '../../src/net/stow-client.js';
import { codeOfAsync } from '../support/codes.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('net/stow-client', () => {
  let dir: string;
  let server: Server | undefined;
  beforeEach(async () => (dir = await tempDir('stow-client')));
  afterEach(async () => {
    server?.close();
    server = undefined;
    await removeDir(dir);
  });

  /**
   * A DICOMweb stand-in on 127.0.0.1 answering every request with `status`, after reading it;
   * with `token`, a request without `Authorization: Bearer <token>` gets 401.
   */
  async function service(
    status: number,
    seen: { type?: string; body?: Buffer; path?: string; auth?: string },
    extra = '',
    token?: string,
  ) {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        Object.assign(seen, {
          type: req.headers['content-type'],
          body: Buffer.concat(chunks),
          path: req.url,
          auth: req.headers.authorization,
        });
        const allowed = token === undefined || req.headers.authorization === `Bearer ${token}`;
        res.writeHead(allowed ? status : 401, { 'content-type': 'application/dicom+json' });
        res.end(`{}${extra}`);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/dicom-web/`);
  }

  it('POSTs the files as one multipart/related body to <root>/studies', async () => {
    const s = await writeSeries(path.join(dir, 's'), { instances: 2, seed: 1 });
    const seen: { type?: string; body?: Buffer; path?: string } = {};
    const root = await service(200, seen);
    await stowFiles(
      root,
      s.files.map((f) => f.path),
    );
    expect(seen.path).to.equal('/dicom-web/studies');
    const boundary = /boundary=(\S+)/.exec(seen.type!)![1]!;
    expect(seen.type).to.match(/^multipart\/related; type="application\/dicom"; boundary=/);
    const parts = seen.body!.toString('latin1').split(`--${boundary}`);
    expect(parts).to.have.length(4); // preamble (empty), two parts, the closing "--\r\n"
    expect(stowUrl(new URL('http://h/dicom-web')).href).to.equal('http://h/dicom-web/studies');
  });

  it('fails with BERTH_E_LISTEN_DELIVERY on 202 or 409 (not all stored), or when nobody answers', async () => {
    const s = await writeSeries(path.join(dir, 's'), { instances: 1, seed: 2 });
    const files = s.files.map((f) => f.path);
    for (const status of [202, 409]) {
      const root = await service(status, {}, ' '.repeat(200_000));
      expect(await codeOfAsync(stowFiles(root, files)), String(status)).to.equal('BERTH_E_LISTEN_DELIVERY');
      server!.close();
    }
    expect(await codeOfAsync(stowFiles(new URL('http://127.0.0.1:1/dicom-web'), files))).to.equal(
      'BERTH_E_LISTEN_DELIVERY',
    );
  });

  it('sends Authorization: Bearer <token> to a service that demands it, and fails with BERTH_E_LISTEN_DEST_AUTH without it or with another', async () => {
    const s = await writeSeries(path.join(dir, 's'), { instances: 1, seed: 3 });
    const files = s.files.map((f) => f.path);
    const seen: { auth?: string } = {};
    const root = await service(200, seen, '', 's3cr3t.token');
    expect(await codeOfAsync(stowFiles(root, files))).to.equal('BERTH_E_LISTEN_DEST_AUTH');
    expect(seen.auth).to.equal(undefined);
    expect(await codeOfAsync(stowFiles(root, files, 10_000, 'other'))).to.equal('BERTH_E_LISTEN_DEST_AUTH');
    await stowFiles(root, files, 10_000, 's3cr3t.token');
    expect(seen.auth).to.equal('Bearer s3cr3t.token');
  });

  it('delivers with the token file read again at each attempt, so a rotated token needs no restart', async () => {
    const s = await writeSeries(path.join(dir, 's'), { instances: 1, seed: 4 });
    const files = s.files.map((f) => f.path);
    const root = await service(200, {}, '', 'new-token');
    const tokenFile = path.join(dir, 'token');
    await writeFile(tokenFile, 'old-token\n');
    const [dest] = withTokenFiles([parseDestination(root.href)], [tokenFile]);
    expect(await codeOfAsync(deliver(dest!, files, 'BERTH'))).to.equal('BERTH_E_LISTEN_DEST_AUTH');
    await writeFile(tokenFile, 'new-token\n');
    await deliver(dest!, files, 'BERTH');
    await writeFile(tokenFile, '');
    expect(await codeOfAsync(deliver(dest!, files, 'BERTH'))).to.equal('BERTH_E_LISTEN_DEST_TOKEN');
  });
});
