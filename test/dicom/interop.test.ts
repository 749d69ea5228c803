/**
 * Interoperability with real peers: dcmtk (dcmftest, dcmdump, dcmconv, dcmcrle), pydicom and
 * dicom3tools (dciodvfy). Gated by test/support/peers.ts: skipped with the package to install, or
 * failed when BERTH_REQUIRE_PEERS=1.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { readPixels } from '../../src/dicom/pixels.js';
import { scanHeaderSync } from '../../src/dicom/scan.js';
import { synthSeries, writeSeries, type SeriesSpec, type WrittenSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { requirePeer } from '../support/peers.js';
import { removeDir, tempDir } from '../support/temp.js';
import {
  DCMTK_PEER,
  DICOM3TOOLS_PEER,
  pixelChecksum,
  PYDICOM_PEER,
  PYDICOM_SCRIPT,
  run,
  runPython,
} from '../support/dicom-peers.js';

const SYNTAXES = [
  TS.ExplicitVRLittleEndian,
  TS.ImplicitVRLittleEndian,
  TS.ExplicitVRBigEndian,
  TS.DeflatedExplicitVRLittleEndian,
];

interface Written {
  spec: SeriesSpec;
  series: WrittenSeries;
}

describe('dicom/interop: real peers accept what berth writes', () => {
  let dir: string;
  const written: Written[] = [];
  const files = (): string[] => written.flatMap((w) => w.series.files.map((f) => f.path));

  before(async function () {
    this.timeout(60_000);
    dir = await tempDir('dicom');
    for (const ts of SYNTAXES) {
      const specs: SeriesSpec[] = [
        { seed: 'interop', transferSyntaxUid: ts, instances: 3, rows: 64, columns: 48, privateTags: true },
        { seed: 'interop', transferSyntaxUid: ts, seriesIndex: 1, instances: 2, sequences: 'undefined' },
        {
          seed: 'interop',
          transferSyntaxUid: ts,
          seriesIndex: 2,
          modality: 'MR',
          instances: 2,
          sequences: 'defined',
        },
        { seed: 'interop', transferSyntaxUid: ts, seriesIndex: 3, modality: 'CR', rows: 40, columns: 30 },
        { seed: 'interop', transferSyntaxUid: ts, seriesIndex: 4, modality: 'OT', instances: 1, frames: 3 },
      ];
      for (const [i, spec] of specs.entries()) {
        written.push({ spec, series: await writeSeries(join(dir, `${i}-${ts}`), spec) });
      }
    }
  });
  after(() => removeDir(dir));

  it('dcmftest accepts every file as DICOM Part 10', async function () {
    await requirePeer(this, DCMTK_PEER);
    const r = await run('/usr/bin/dcmftest', files());
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const yes = r.stdout.split('\n').filter((l) => l.startsWith('yes: '));
    expect(yes).to.have.length(files().length);
  });

  it('dcmdump reads the same UIDs from every file', async function () {
    await requirePeer(this, DCMTK_PEER);
    const tags = ['0002,0003', '0008,0016', '0008,0018', '0020,000d', '0020,000e'];
    const r = await run('/usr/bin/dcmdump', ['-q', '+F', ...tags.flatMap((t) => ['+P', t]), ...files()]);
    expect(r.code, r.stderr).to.equal(0);
    const blocks = r.stdout.split(/^# dcmdump \(\d+\/\d+\): /m).slice(1);
    expect(blocks).to.have.length(files().length);
    for (const block of blocks) {
      const path = block.split('\n')[0]!.trim();
      const value = (tag: string) => new RegExp(`^\\(${tag}\\) UI [=\\[]([^\\]\\s]*)`, 'mi').exec(block)?.[1];
      const h = scanHeaderSync(path);
      expect(value('0002,0003'), path).to.equal(h.MediaStorageSOPInstanceUID);
      expect(value('0008,0018'), path).to.equal(h.SOPInstanceUID);
      expect(value('0020,000d'), path).to.equal(h.StudyInstanceUID);
      expect(value('0020,000e'), path).to.equal(h.SeriesInstanceUID);
    }
  });

  it('pydicom reads the same UIDs and decodes the same pixels as berth wrote and reads', async function () {
    this.timeout(60_000);
    await requirePeer(this, PYDICOM_PEER);
    const r = await runPython(PYDICOM_SCRIPT, { args: files(), timeoutMs: 60_000 });
    expect(r.code, r.stderr).to.equal(0);
    const rows = r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string | number>);
    const byPath = new Map(rows.map((row) => [row.path as string, row]));
    for (const w of written) {
      const instances = synthSeries(w.spec);
      for (const [i, f] of w.series.files.entries()) {
        const py = byPath.get(f.path)!;
        expect(py, f.path).to.not.equal(undefined);
        expect(py.sop).to.equal(f.sopInstanceUid);
        expect(py.meta_sop).to.equal(f.sopInstanceUid);
        expect(py.series).to.equal(w.series.seriesInstanceUid);
        expect(py.study).to.equal(w.series.studyInstanceUid);
        expect(py.ts).to.equal(w.series.transferSyntaxUid);
        const generated = pixelChecksum(instances[i]!.pixels as ArrayLike<number>);
        expect(py.checksum, `${f.path} (pydicom ${py.dtype})`).to.equal(generated);
        const read = await readPixels(f.path, scanHeaderSync(f.path));
        if (read.kind !== 'native') throw new Error('expected native pixels');
        expect(pixelChecksum(read.data), `${f.path} (berth readPixels)`).to.equal(generated);
      }
    }
  });

  it('dciodvfy finds no errors in the CT files (deflated: after dcmconv to explicit VR)', async function () {
    this.timeout(60_000);
    await requirePeer(this, DICOM3TOOLS_PEER);
    await requirePeer(this, DCMTK_PEER);
    const ct = written.filter((w) => (w.spec.modality ?? 'CT') === 'CT');
    const report: string[] = [];
    for (const w of ct) {
      for (const f of w.series.files) {
        let path = f.path;
        if (w.series.transferSyntaxUid === TS.DeflatedExplicitVRLittleEndian) {
          // dciodvfy cannot inflate; dcmtk rewrites the same data set in explicit VR little endian.
          path = `${f.path}.explicit`;
          const c = await run('/usr/bin/dcmconv', ['+te', f.path, path]);
          expect(c.code, c.stderr).to.equal(0);
        }
        const r = await run('/usr/bin/dciodvfy', [path]);
        const lines = (r.stdout + r.stderr).split('\n').filter((l) => l.trim() !== '');
        const errors = lines.filter((l) => /\bError\b/.test(l));
        expect(errors, `${path}:\n${lines.join('\n')}`).to.deep.equal([]);
        report.push(...lines.filter((l) => /Warning/.test(l)));
      }
    }
    // Only private-tag warnings are expected: the BERTH SYNTH block is not in dciodvfy's dictionary.
    const unexpected = [...new Set(report)].filter((l) => !/\(0x0009,/.test(l));
    expect(unexpected).to.deep.equal([]);
  });

  it('reads the frames of RLE files dcmtk compressed, as pydicom splits them', async function () {
    this.timeout(60_000);
    await requirePeer(this, DCMTK_PEER);
    await requirePeer(this, PYDICOM_PEER);
    const sources = [
      written.find(
        (w) => w.spec.modality === 'OT' && w.series.transferSyntaxUid === TS.ExplicitVRLittleEndian,
      )!,
      written.find((w) => !w.spec.modality && w.series.transferSyntaxUid === TS.ExplicitVRBigEndian)!,
    ];
    const outputs: string[] = [];
    for (const [i, w] of sources.entries()) {
      for (const table of ['+ot', '-ot']) {
        const out = join(dir, `rle-${i}${table}.dcm`);
        const r = await run('/usr/bin/dcmcrle', [table, w.series.files[0]!.path, out]);
        expect(r.code, r.stderr).to.equal(0);
        outputs.push(out);
      }
    }
    const script = `
import sys, json, hashlib
import pydicom
from pydicom.encaps import generate_pixel_data_frame
for path in sys.argv[1:]:
    ds = pydicom.dcmread(path)
    n = int(getattr(ds, 'NumberOfFrames', 1) or 1)
    frames = [hashlib.sha256(f).hexdigest() for f in generate_pixel_data_frame(ds.PixelData, n)]
    print(json.dumps({'path': path, 'frames': frames}))
`;
    const r = await runPython(script, { args: outputs });
    expect(r.code, r.stderr).to.equal(0);
    const { createHash } = await import('node:crypto');
    for (const line of r.stdout.toString().trim().split('\n')) {
      const py = JSON.parse(line) as { path: string; frames: string[] };
      const h = scanHeaderSync(py.path);
      expect(h.TransferSyntaxUID).to.equal(TS.RLELossless);
      expect(h.pixelData).to.include({ encapsulated: true, length: undefined });
      const px = await readPixels(py.path, h, { decode: false });
      if (px.kind !== 'encapsulated') throw new Error('expected encapsulated pixels');
      expect(
        px.frames.map((f) => createHash('sha256').update(f).digest('hex')),
        py.path,
      ).to.deep.equal(py.frames);
    }
  });
});
