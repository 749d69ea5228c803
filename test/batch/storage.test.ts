import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { recordOfError, type CaseRecord } from '../../src/batch/job.js';
import { COMPLETE_MARKER, LocalStorage } from '../../src/batch/storage.js';
import { codeOfAsync } from '../support/codes.js';

function record(id: string): CaseRecord {
  const t = new Date('2026-12-01T10:00:00Z');
  return recordOfError(
    id,
    `/cases/${id}`,
    { code: 'BERTH_E_CASE_FORMAT', message: 'bad' },
    { startedAt: t, finishedAt: t },
  );
}

describe('batch/storage (local folder)', () => {
  let dir: string;
  let storage: LocalStorage;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-batch-store-'));
    storage = new LocalStorage(path.join(dir, 'out'));
    await storage.open();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('commits a staged case into <out>/<id>/ with its marker, and reads the record back', async () => {
    const staging = await storage.stage('c1');
    expect(path.basename(staging.dir)).to.match(/^\.tmp-c1-[0-9a-f]{12}$/);
    writeFileSync(path.join(staging.dir, 'report.json'), '{}');
    expect(await storage.completed('c1')).to.equal(undefined);
    await staging.commit(record('c1'));
    expect(readdirSync(storage.location)).to.deep.equal(['c1']);
    expect(readdirSync(path.join(storage.location, 'c1')).sort()).to.deep.equal([
      COMPLETE_MARKER,
      'report.json',
    ]);
    expect((await storage.completed('c1'))?.outcome).to.equal('error');
  });

  it('replaces an unmarked case folder (a killed commit) whole, and treats a broken marker as not finished', async () => {
    mkdirSync(path.join(storage.location, 'c2'));
    writeFileSync(path.join(storage.location, 'c2', 'stale.txt'), 'old');
    const staging = await storage.stage('c2');
    await staging.commit(record('c2'));
    expect(existsSync(path.join(storage.location, 'c2', 'stale.txt'))).to.equal(false);
    writeFileSync(
      path.join(storage.location, 'c2', COMPLETE_MARKER),
      '{"schema": "berth-batch-case/1", "id": "other"',
    );
    expect(await storage.completed('c2')).to.equal(undefined);
    writeFileSync(
      path.join(storage.location, 'c2', COMPLETE_MARKER),
      JSON.stringify({ ...record('c2'), outcome: 'exploded' }),
    );
    expect(await storage.completed('c2')).to.equal(undefined);
  });

  it('keeps the first commit of a case: a second staging of it is discarded and the first record is returned', async () => {
    const first = await storage.stage('c5');
    const second = await storage.stage('c5');
    writeFileSync(path.join(first.dir, 'report.json'), '"first"');
    writeFileSync(path.join(second.dir, 'report.json'), '"second"');
    const mine = { ...record('c5'), reason: 'first' };
    expect(await first.commit(mine)).to.deep.equal(mine);
    const stood = await second.commit({ ...record('c5'), reason: 'second' });
    expect(stood.reason).to.equal('first');
    expect(readFileSync(path.join(storage.location, 'c5', 'report.json'), 'utf8')).to.equal('"first"');
    expect((await storage.completed('c5'))?.reason).to.equal('first');
    expect(readdirSync(storage.location)).to.deep.equal(['c5']);
  });

  it('of two commits of a case racing, exactly one lands and both return its record', async () => {
    const stagings = await Promise.all([0, 1, 2, 3].map(() => storage.stage('c6')));
    const results = await Promise.all(
      stagings.map((s, i) => {
        writeFileSync(path.join(s.dir, 'n'), String(i));
        return s.commit({ ...record('c6'), reason: String(i) });
      }),
    );
    const landed = readFileSync(path.join(storage.location, 'c6', 'n'), 'utf8');
    expect(results.map((r) => r.reason)).to.deep.equal([landed, landed, landed, landed]);
    expect((await storage.completed('c6'))?.reason).to.equal(landed);
    expect(readdirSync(storage.location)).to.deep.equal(['c6']);
  });

  it('refuses to replace a case folder whose marker it cannot read, with BERTH_E_IO, and keeps that folder', async () => {
    mkdirSync(path.join(storage.location, 'c7'));
    writeFileSync(path.join(storage.location, 'c7', COMPLETE_MARKER), '{"written by": "someone else"');
    writeFileSync(path.join(storage.location, 'c7', 'result'), 'kept');
    expect(await storage.completed('c7')).to.equal(undefined);
    const staging = await storage.stage('c7');
    expect(await codeOfAsync(staging.commit(record('c7')))).to.equal('BERTH_E_IO');
    expect(readFileSync(path.join(storage.location, 'c7', 'result'), 'utf8')).to.equal('kept');
  });

  it('sweeps staging folders left by a killed batch, and discarding removes a staging folder', async () => {
    const kept = await storage.stage('c3');
    await kept.discard();
    expect(existsSync(kept.dir)).to.equal(false);
    const left = await storage.stage('c4');
    writeFileSync(path.join(left.dir, 'half.json'), '{');
    await storage.sweep();
    expect(readdirSync(storage.location)).to.deep.equal([]);
  });
});
