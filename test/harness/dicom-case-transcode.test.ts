/**
 * The case materialiser delivers DICOM in the property's transfer syntax: a compressed case input
 * for a machine declaring explicit VR little endian is decoded, and the run passes on native pixels.
 */
import { expect } from 'chai';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readPixels } from '../../src/dicom/pixels.js';
import { scanHeader } from '../../src/dicom/scan.js';
import { synthSeries, writeSeries } from '../../src/dicom/synth.js';
import { encodePart10 } from '../../src/dicom/write.js';
import { isNotApplicable } from '../../src/dicom/instance-rules.js';
import { checkDicomProperty } from '../../src/kinds/dicom-property.js';
import { materialiseDicom } from '../../src/harness/dicom-case.js';
import { loadMachine } from '../../src/check/manifest.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { removeDir, tempDir } from '../support/temp.js';
import { DCMTK_PEER, run } from '../support/dicom-peers.js';
import { runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { requirePeer } from '../support/peers.js';

const SAMPLE = path.join(ROOT, 'sample-machine');
const JPEG_LS = '1.2.840.10008.1.2.4.80';

describe('harness/dicom-case: compressed case inputs', function () {
  this.timeout(120_000);
  let dir: string | undefined;
  before(async () => {
    dir = await tempDir('dicom-case');
  });
  const kept: string[] = [];
  after(async () => {
    await removeDir(dir);
    // --keep left the run folders (input/, output/, status/ side by side).
    for (const k of kept) await removeDir(path.dirname(k));
  });

  /** A 6-slice CT series, native and compressed by dcmtk into JPEG-LS (made once). */
  let made:
    Promise<{ native: string; jls: string; series: Awaited<ReturnType<typeof writeSeries>> }> | undefined;
  function jlsSeries(): NonNullable<typeof made> {
    made ??= (async () => {
      const native = path.join(dir!, 'native');
      const jls = path.join(dir!, 'jls');
      const series = await writeSeries(native, {
        seed: 7,
        instances: 6,
        rows: 64,
        columns: 64,
        seriesDescription: 'chest CT',
      });
      await mkdir(jls);
      for (const f of series.files) {
        const r = await run('dcmcjpls', [f.path, path.join(jls, path.basename(f.path))]);
        expect(r.code, r.stderr).to.equal(0);
      }
      return { native, jls, series };
    })();
    return made;
  }

  async function caseWith(name: string, folder: string): Promise<string> {
    const caseDir = path.join(dir!, `case-${name}`);
    await mkdir(caseDir);
    await writeFile(
      path.join(caseDir, 'case.yaml'),
      `inputs:\n  ct: { dicom: ${folder} }\n  threshold-hu: 300\n  patient-age: 61\n  priority: routine\n`,
    );
    return caseDir;
  }

  it('runs the sample machine (explicit VR little endian) on a JPEG-LS series, which it sees as native pixels', async function () {
    await requirePeer(this, DCMTK_PEER);
    const { native, jls, series } = await jlsSeries();
    expect(
      (await scanHeader(path.join(jls, path.basename(series.files[0]!.path)))).TransferSyntaxUID,
    ).to.equal(JPEG_LS);
    const reports: { outcome: string; trees?: { input: string } }[] = [];
    for (const [name, folder] of [
      ['compressed', jls],
      ['native', native],
    ] as const) {
      const r = await runCli(['run', SAMPLE, '--case', await caseWith(name, folder), '--json', '--keep']);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      reports.push(JSON.parse(r.stdout) as (typeof reports)[number]);
    }
    kept.push(...reports.map((r) => r.trees!.input));
    expect(reports.map((r) => r.outcome)).to.deep.equal(['passed', 'passed']);
    // What the machine was given: explicit VR little endian, the source's values.
    const inputCt = path.join(reports[0]!.trees!.input, 'ct');
    const delivered = (await readdir(inputCt)).map((n) => path.join(inputCt, n));
    expect(delivered).to.have.length(6);
    for (const file of delivered) {
      const h = await scanHeader(file);
      expect(h.TransferSyntaxUID).to.equal(TS.ExplicitVRLittleEndian);
      const mine = await readPixels(file, h);
      const source = path.join(native, path.basename(file));
      const original = await readPixels(source, await scanHeader(source));
      expect(mine.kind).to.equal('native');
      if (mine.kind === 'native' && original.kind === 'native')
        expect([...mine.data]).to.deep.equal([...original.data]);
    }
  });

  /** The sample machine's input tree with `folder`'s files as its ct series (what validate --inputs reads). */
  async function inputTree(name: string, folder: string): Promise<string> {
    const tree = path.join(dir!, `tree-${name}`);
    await mkdir(path.join(tree, 'ct'), { recursive: true });
    for (const n of await readdir(folder)) await copyFile(path.join(folder, n), path.join(tree, 'ct', n));
    await writeFile(path.join(tree, 'threshold-hu'), '300');
    await writeFile(path.join(tree, 'patient-age'), '61');
    await writeFile(path.join(tree, 'priority'), 'routine');
    return tree;
  }

  /** `berth validate --inputs` and `berth run` on one folder: validate's exit and codes, run's outcome. */
  async function validateAndRun(
    name: string,
    folder: string,
  ): Promise<{ exit: number | null; codes: [string, string][]; outcome: string }> {
    const v = await runCli(['validate', SAMPLE, '--inputs', await inputTree(name, folder), '--json']);
    const found = JSON.parse(v.stdout) as { findings: { code: string; severity: string }[] };
    const r = await runCli(['run', SAMPLE, '--case', await caseWith(name, folder), '--json']);
    const report = JSON.parse(r.stdout) as { outcome: string };
    return { exit: v.code, codes: found.findings.map((f) => [f.code, f.severity]), outcome: report.outcome };
  }

  /** A one-instance series in an encapsulated syntax berth has no decoder for (header-only frames). */
  async function undecodable(name: string, uid: string): Promise<string> {
    const [inst] = synthSeries({ seed: name, modality: 'CT', instances: 1, rows: 8, columns: 8 });
    const folder = path.join(dir!, name);
    await mkdir(folder);
    const fragments = [new Uint8Array(8)];
    const elements = inst!.elements.map((e) =>
      e.tag === 0x7fe00010
        ? { ...e, vr: 'OB' as const, value: { encapsulated: true as const, fragments, offsetTable: [] } }
        : e,
    );
    await writeFile(
      path.join(folder, `${inst!.sopInstanceUid}.dcm`),
      encodePart10(elements, { transferSyntaxUid: uid }),
    );
    return folder;
  }

  it('agrees with run: validate accepts a JPEG-LS or RLE series berth converts (a warning, exit 0) and run passes on it', async function () {
    await requirePeer(this, DCMTK_PEER);
    const { series, jls } = await jlsSeries();
    const rle = path.join(dir!, 'rle');
    await mkdir(rle);
    for (const f of series.files) {
      const r = await run('dcmcrle', [f.path, path.join(rle, path.basename(f.path))]);
      expect(r.code, r.stderr).to.equal(0);
    }
    for (const [name, folder] of [
      ['agree-jls', jls],
      ['agree-rle', rle],
    ] as const) {
      expect(await validateAndRun(name, folder), name).to.deep.equal({
        exit: 0,
        codes: [['BERTH_E_DICOM_CONVERTED', 'warning']],
        outcome: 'passed',
      });
    }
    const machine = await loadMachine(path.join(SAMPLE, 'machine.yaml'));
    const ct = machine.inputs.find((p) => p.name === 'ct')!;
    const [warning] = await checkDicomProperty(ct, jls, 'in');
    expect(warning!.message).to.include(`berth run delivers it converted to ${TS.ExplicitVRLittleEndian}`);
  });

  it('agrees with validate: an MPEG-2, JPEG XL or Deflated Image Frame series, which berth cannot convert, is not applicable in both', async function () {
    for (const [name, uid] of [
      ['agree-mpeg2', '1.2.840.10008.1.2.4.100'],
      ['agree-jxl', '1.2.840.10008.1.2.4.110'],
      ['agree-deflated-frame', '1.2.840.10008.1.2.8.1'],
    ] as const) {
      expect(await validateAndRun(name, await undecodable(name, uid)), name).to.deep.equal({
        exit: 1,
        codes: [['BERTH_E_DICOM_TRANSFER_SYNTAX', 'error']],
        outcome: 'not-applicable',
      });
    }
    expect(isNotApplicable('BERTH_E_DICOM_TRANSFER_SYNTAX')).to.equal(true);
  });

  it('delivers a 12-bit JPEG extended input converted to native, and validate calls it convertible, in run and validate alike', async function () {
    await requirePeer(this, DCMTK_PEER);
    const native = path.join(dir!, 'twelve-native');
    const series = await writeSeries(native, { seed: 12, instances: 1, rows: 16, columns: 16 });
    const jpeg12 = path.join(dir!, 'twelve');
    await mkdir(jpeg12);
    const r = await run('dcmcjpeg', [
      '+ee',
      series.files[0]!.path,
      path.join(jpeg12, path.basename(series.files[0]!.path)),
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const machine = await loadMachine(path.join(SAMPLE, 'machine.yaml'));
    const ct = machine.inputs.find((p) => p.name === 'ct')!;
    const out = path.join(dir!, 'twelve-out');
    await materialiseDicom(ct, { dicom: jpeg12 }, out, dir!);
    const [delivered] = await readdir(out);
    const h = await scanHeader(path.join(out, delivered!));
    expect(h.TransferSyntaxUID).to.equal(TS.ExplicitVRLittleEndian);
    expect((await readPixels(path.join(out, delivered!), h)).kind).to.equal('native');
    // validate says so too: a "convertible" warning, not a syntax error.
    // dcmcjpeg gives its lossy output a new SOPInstanceUID (so a file-name finding too): syntax only.
    const found = (await checkDicomProperty(ct, jpeg12, 'in')).filter((f) =>
      ['BERTH_E_DICOM_TRANSFER_SYNTAX', 'BERTH_E_DICOM_CONVERTED'].includes(f.code),
    );
    expect(found.map((f) => [f.code, f.severity])).to.deep.equal([['BERTH_E_DICOM_CONVERTED', 'warning']]);
  });
});
