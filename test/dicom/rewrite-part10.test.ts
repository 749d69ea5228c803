/**
 * What the rewriter writes for a raw data set (no preamble, no file meta, readable since issue 14):
 * a Part 10 file with a zero preamble and a meta naming the data set's SOP class and instance.
 */
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scanHeaderBytes } from '../../src/dicom/scan.js';
import { synthSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { transcodeBytes } from '../../src/dicom/transcode.js';
import { encodePart10 } from '../../src/dicom/write.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';
import {
  DCMTK_PEER,
  pixelChecksum,
  PYDICOM_PEER,
  PYDICOM_SCRIPT,
  run,
  runPython,
} from '../support/dicom-peers.js';

describe('dicom/rewrite-part10: raw data sets', () => {
  let dir: string | undefined;
  before(async () => {
    dir = await tempDir('raw');
  });
  after(() => removeDir(dir));

  const [inst] = synthSeries({ seed: 'raw', instances: 1, rows: 12, columns: 10 });
  /** A berth-written explicit VR little endian file stripped to its data set. */
  function rawDataSet(): Buffer {
    const file = encodePart10(inst!.elements, { transferSyntaxUid: TS.ExplicitVRLittleEndian });
    return file.subarray(scanHeaderBytes(file, 'x').dataSetOffset);
  }

  it('writes a zero preamble, not the data set’s first 128 bytes, and a meta naming the data set', () => {
    const raw = rawDataSet();
    expect(raw.subarray(0, 128).some((b) => b !== 0)).to.equal(true);
    for (const target of [TS.ImplicitVRLittleEndian, TS.ExplicitVRLittleEndian]) {
      const out = transcodeBytes(raw, target).bytes;
      expect(
        out.subarray(0, 128).every((b) => b === 0),
        target,
      ).to.equal(true);
      expect(out.toString('latin1', 128, 132)).to.equal('DICM');
      const h = scanHeaderBytes(out, 'out');
      expect(h.warnings, target).to.deep.equal([]);
      expect(h.TransferSyntaxUID).to.equal(target);
      expect(h.SOPInstanceUID).to.equal(inst!.sopInstanceUid);
    }
  });

  it('writes files dcmdump and pydicom read, with the data set’s UIDs and pixels', async function () {
    await requirePeer(this, DCMTK_PEER);
    await requirePeer(this, PYDICOM_PEER);
    const files = [TS.ImplicitVRLittleEndian, TS.ExplicitVRLittleEndian, TS.ExplicitVRBigEndian].map(
      (t, i) => ({ path: join(dir!, `raw-${i}.dcm`), bytes: transcodeBytes(rawDataSet(), t).bytes }),
    );
    for (const f of files) {
      await writeFile(f.path, f.bytes);
      const r = await run('/usr/bin/dcmdump', ['-q', f.path]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.equal('');
    }
    const r = await runPython(PYDICOM_SCRIPT, { args: files.map((f) => f.path), timeoutMs: 60_000 });
    expect(r.code, r.stderr).to.equal(0);
    const rows = r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows.map((x) => [x.sop, x.meta_sop, x.checksum])).to.deep.equal(
      files.map(() => [
        inst!.sopInstanceUid,
        inst!.sopInstanceUid,
        pixelChecksum(inst!.pixels as ArrayLike<number>),
      ]),
    );
  });
});
