/**
 * dciodvfy (dicom3tools) reports no more errors after de-identification than before, on CT and MR
 * written by berth and on an SR and a SEG written by pydicom.
 */
import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Deidentifier } from '../../../src/dicom/deid/deidentify.js';
import { reidentify } from '../../../src/dicom/deid/restore.js';
import { writeSeries } from '../../../src/dicom/synth.js';
import { requirePeer } from '../../support/peers.js';
import { python } from '../../support/python.js';
import { removeDir, tempDir } from '../../support/temp.js';
import { DICOM3TOOLS_PEER, PYDICOM_PEER, run } from '../../support/dicom-peers.js';

async function errors(path: string): Promise<string[]> {
  const r = await run('/usr/bin/dciodvfy', [path]);
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
}

describe('dicom/deid with dciodvfy', function () {
  this.timeout(60_000);
  let dir: string;
  before(async function () {
    await requirePeer(this, DICOM3TOOLS_PEER);
    dir = await tempDir('deid-dciodvfy');
  });
  after(() => removeDir(dir));

  async function check(input: string): Promise<void> {
    const d = new Deidentifier({ secret: 'dciodvfy-test-secret-0123' });
    const r = d.deidentify(await readFile(input), input);
    const out = `${input}.deid.dcm`;
    await writeFile(out, r.bytes);
    const before = await errors(input);
    expect(await errors(out), 'after de-identification').to.have.length.at.most(before.length);
    const back = `${input}.reid.dcm`;
    await writeFile(back, reidentify(r.bytes, d.map(), out).bytes);
    expect(await errors(back), 'after re-identification').to.have.length.at.most(before.length);
  }

  for (const modality of ['CT', 'MR'] as const) {
    it(`adds no error to a ${modality} series instance (nor does re-identification)`, async () => {
      const s = await writeSeries(join(dir, modality), {
        seed: 'v',
        modality,
        instances: 1,
        sequences: 'defined',
      });
      await check(s.files[0]!.path);
    });
  }

  for (const kind of ['sr', 'seg']) {
    it(`adds no error to a ${kind.toUpperCase()} written by pydicom (nor does re-identification)`, async function () {
      await requirePeer(this, PYDICOM_PEER);
      const script = await readFile(new URL('./make_sr_seg.py', import.meta.url), 'utf8');
      const path = join(dir, `${kind}.dcm`);
      await python(script, { args: [kind, path] });
      await check(path);
    });
  }
});
