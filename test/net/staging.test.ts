import { expect } from 'chai';
import fs, { fstatSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { writeSeries, type WrittenSeries } from '../../src/dicom/synth.js';
import { SpoolSink, groupInstancesDir } from '../../src/net/staging.js';
import type { ExpectedInstance, StagingBatch } from '../../src/net/sink.js';
import { codeOfAsync } from '../support/codes.js';
import { dataSetBytes } from '../support/dicom-net.js';
import { removeDir, tempDir } from '../support/temp.js';

const SOURCE = { protocol: 'dimse', callingAet: 'SCU', remote: '127.0.0.1:1' } as const;

/** Counts fdatasync / FileHandle.sync calls (the two ways the spool syncs) until restored. */
function countSyncs(handle: FileHandle) {
  const proto = Object.getPrototypeOf(handle) as { sync: FileHandle['sync'] };
  const [sync, fdatasync] = [proto.sync, fs.fdatasync];
  void handle.close();
  const counter = {
    count: 0,
    restore: () => {
      proto.sync = sync;
      fs.fdatasync = fdatasync;
    },
  };
  proto.sync = function (this: FileHandle) {
    counter.count += 1;
    return sync.call(this);
  };
  fs.fdatasync = ((...args: Parameters<typeof fs.fdatasync>) => {
    counter.count += 1;
    return fdatasync(...args);
  }) as typeof fs.fdatasync;
  return counter;
}

async function put(batch: StagingBatch, bytes: Buffer, expected?: ExpectedInstance) {
  const w = batch.write(expected);
  w.write(bytes);
  return w.finish();
}

describe('net/staging', () => {
  let dir: string;
  let series: WrittenSeries;
  let spool: string;

  beforeEach(async () => {
    dir = await tempDir('staging');
    series = await writeSeries(path.join(dir, 'in'), {
      instances: 3,
      rows: 16,
      columns: 16,
      privateTags: true,
    });
    spool = path.join(dir, 'spool');
  });
  afterEach(() => removeDir(dir));

  const fileBytes = (i: number) => readFile(series.files[i]!.path);
  const committedPath = (key: string, sop: string) => path.join(groupInstancesDir(spool, key), `${sop}.dcm`);

  it('commits the instances of a batch into groups/<study>/instances byte-identical, and removes its staging folder', async () => {
    const sink = new SpoolSink({ spool });
    const batch = await sink.open(SOURCE);
    for (let i = 0; i < 3; i++) await put(batch, await fileBytes(i));
    const { groups } = await batch.commit();
    expect(groups.map((g) => g.key)).to.deep.equal([series.studyInstanceUid]);
    expect(groups[0]!.instances).to.have.length(3);
    for (let i = 0; i < 3; i++) {
      const got = await readFile(committedPath(series.studyInstanceUid, series.files[i]!.sopInstanceUid));
      expect(got.equals(await fileBytes(i))).to.equal(true);
    }
    expect(await readdir(path.join(spool, 'staging'))).to.deep.equal([]);
  });

  it('writes a correct Part 10 meta before a DIMSE data set and keeps the data set bytes exactly', async () => {
    const sink = new SpoolSink({ spool, group: 'series' });
    const batch = await sink.open(SOURCE);
    const whole = await fileBytes(0);
    const sop = series.files[0]!.sopInstanceUid;
    const instance = await put(batch, dataSetBytes(whole), {
      sopInstanceUid: sop,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
    });
    expect(instance.transferSyntaxUid).to.equal('1.2.840.10008.1.2.1');
    const { groups } = await batch.commit();
    expect(groups[0]!.key).to.equal(series.seriesInstanceUid);
    const got = await readFile(committedPath(series.seriesInstanceUid, sop));
    expect(dataSetBytes(got).equals(dataSetBytes(whole))).to.equal(true);
  });

  it('discards an aborted batch without touching the copies an earlier batch committed', async () => {
    const sink = new SpoolSink({ spool });
    const first = await sink.open(SOURCE);
    await put(first, await fileBytes(0));
    await first.commit();
    const second = await sink.open(SOURCE);
    await put(second, await fileBytes(0));
    await put(second, await fileBytes(1));
    await second.discard();
    const kept = await readdir(groupInstancesDir(spool, series.studyInstanceUid));
    expect(kept).to.deep.equal([`${series.files[0]!.sopInstanceUid}.dcm`]);
    expect(await readdir(path.join(spool, 'staging'))).to.deep.equal([]);
  });

  it('reports a group as fed while an open batch holds one of its instances, and not after', async () => {
    const sink = new SpoolSink({ spool });
    const a = await sink.open(SOURCE);
    const b = await sink.open(SOURCE);
    expect([...sink.feeding()]).to.deep.equal([]);
    await put(a, await fileBytes(0));
    await put(b, await fileBytes(1));
    expect([...sink.feeding()]).to.deep.equal([series.studyInstanceUid]);
    await a.commit();
    expect([...sink.feeding()]).to.deep.equal([series.studyInstanceUid]);
    await b.discard();
    expect([...sink.feeding()]).to.deep.equal([]);
  });

  it('refuses an instance larger than the limit and keeps nothing of it', async () => {
    const sink = new SpoolSink({ spool, maxInstanceBytes: 1000 });
    const batch = await sink.open(SOURCE);
    expect(await codeOfAsync(put(batch, await fileBytes(0)))).to.equal('BERTH_E_LISTEN_RECEIVE_TOO_LARGE');
    const { groups } = await batch.commit();
    expect(groups).to.deep.equal([]);
  });

  it('refuses a DIMSE data set whose SOP Instance UID is not the one its C-STORE request named', async () => {
    const sink = new SpoolSink({ spool });
    const batch = await sink.open(SOURCE);
    const bytes = dataSetBytes(await fileBytes(0));
    const expected = { sopInstanceUid: '1.2.3.4', transferSyntaxUid: '1.2.840.10008.1.2.1' };
    const code = await codeOfAsync(put(batch, bytes, expected));
    expect(code).to.equal('BERTH_E_LISTEN_RECEIVE_UID_MISMATCH');
    expect(await readdir(path.join(spool, 'staging', batch.id))).to.deep.equal([]);
  });

  it('refuses an instance of another study than the one its STOW-RS request names', async () => {
    const sink = new SpoolSink({ spool });
    const batch = await sink.open({ protocol: 'stow', remote: '127.0.0.1:2' });
    const code = await codeOfAsync(put(batch, await fileBytes(0), { studyInstanceUid: '1.2.3' }));
    expect(code).to.equal('BERTH_E_LISTEN_RECEIVE_UID_MISMATCH');
  });

  it('refuses bytes that are not DICOM with the header scan code', async () => {
    const sink = new SpoolSink({ spool });
    const batch = await sink.open(SOURCE);
    expect(await codeOfAsync(put(batch, Buffer.from('hello, not DICOM')))).to.match(/^BERTH_E_/);
    expect(await readdir(path.join(spool, 'staging', batch.id))).to.deep.equal([]);
  });

  it('on recovery commits the finished instances a killed berth left staged and deletes partial files and dropped batches', async () => {
    const left = path.join(spool, 'staging', 'left-by-a-crash');
    await mkdir(left, { recursive: true });
    await writeFile(path.join(left, `${series.files[0]!.sopInstanceUid}.dcm`), await fileBytes(0));
    await writeFile(path.join(left, '2.part'), (await fileBytes(1)).subarray(0, 300));
    const dropped = path.join(spool, 'staging', '.drop-aborted');
    await mkdir(dropped, { recursive: true });
    await writeFile(path.join(dropped, `${series.files[2]!.sopInstanceUid}.dcm`), await fileBytes(2));
    const sink = new SpoolSink({ spool });
    const { groups } = await sink.recoverStaging();
    expect(groups.map((g) => g.instances.map((i) => i.sopInstanceUid))).to.deep.equal([
      [series.files[0]!.sopInstanceUid],
    ]);
    expect(await readdir(groupInstancesDir(spool, series.studyInstanceUid))).to.have.length(1);
    expect(await readdir(path.join(spool, 'staging'))).to.deep.equal([]);
  });

  it('syncs every queued file while holding at most 64 descriptors open for a disk that falls behind', async () => {
    const sink = new SpoolSink({ spool });
    await mkdir(dir, { recursive: true });
    const files = Array.from({ length: 200 }, (_, i) => path.join(dir, `kept-${i}`));
    const opened: number[] = [];
    for (const f of files) {
      const fd = openSync(f, 'w');
      writeSync(fd, Buffer.from(f));
      opened.push(fd);
    }
    const syncs = opened.map((fd, i) => sink.syncSoon(fd, files[i]!));
    // Past the first 64 queued (and the one syncing), each descriptor was closed as it was queued.
    const stillOpen = opened.filter((fd) => isOpen(fd));
    expect(stillOpen.length).to.be.at.most(66);
    await Promise.all(syncs);
    expect(opened.filter((fd) => isOpen(fd))).to.deep.equal([]);
    for (const f of files) expect(await readFile(f, 'utf8')).to.equal(f);
  });

  it('writes each piece of an instance before write() returns, so a slow disk holds the sender (not memory) and the sender may reuse its buffer', async () => {
    const batch = await new SpoolSink({ spool }).open(SOURCE);
    const w = batch.write();
    const bytes = await fileBytes(0);
    const big = Buffer.concat([bytes, Buffer.alloc(2 * 1024 * 1024)]);
    const part = path.join(spool, 'staging', batch.id, '1.part');
    const reused = Buffer.alloc(64 * 1024);
    for (let at = 0; at < big.length; at += reused.length) {
      const n = big.copy(reused, 0, at, at + reused.length);
      w.write(reused.subarray(0, n));
      reused.fill(0xee);
      expect((await stat(part)).size).to.equal(at + n);
    }
    const instance = await w.finish();
    await batch.commit();
    const kept = await readFile(committedPath(instance.studyInstanceUid, instance.sopInstanceUid));
    expect(kept.equals(big)).to.equal(true);
  });

  it('with fsync off commits a batch without one sync call, byte-identical, and with it on syncs', async () => {
    const syncs = countSyncs(await open(series.files[0]!.path, 'r'));
    try {
      for (const fsync of [false, true]) {
        const sink = new SpoolSink({ spool: path.join(dir, `spool-${fsync}`), fsync });
        const batch = await sink.open(SOURCE);
        for (let i = 0; i < 3; i++) await put(batch, await fileBytes(i));
        const { groups } = await batch.commit();
        expect(syncs.count > 0, `fsync ${fsync}: ${syncs.count} syncs`).to.equal(fsync);
        for (const [i, f] of series.files.entries()) {
          const kept = path.join(groupInstancesDir(sink.spool, groups[0]!.key), `${f.sopInstanceUid}.dcm`);
          expect((await readFile(kept)).equals(await fileBytes(i))).to.equal(true);
        }
      }
    } finally {
      syncs.restore();
    }
  });

  it('is full when the file system is above the watermark percentage', async () => {
    expect(await new SpoolSink({ spool, watermarkPercent: 0 }).full()).to.equal(true);
    expect(await new SpoolSink({ spool, watermarkPercent: 100 }).full()).to.equal(false);
  });
});

/** Whether `fd` is an open descriptor of this process. */
function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}
