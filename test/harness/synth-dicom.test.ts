/**
 * Synthetic DICOM has one maker: `berth synth` and a case's `{synth: {}}` give the same files, the
 * DICOM inputs of one tree share a patient and a study unless asked otherwise, and a case's
 * options are checked.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { checkManifest, type MachineDefinition } from '../../src/check/manifest.js';
import { scanHeaderSync } from '../../src/dicom/scan.js';
import { materialiseValues } from '../../src/harness/materialise.js';
import { synthTree } from '../../src/harness/synth-tree.js';
import { loadManifestText } from '../../src/manifest/load.js';
import { codeOfAsync } from '../support/codes.js';
import { removeDir, tempDir } from '../support/temp.js';

const MANIFEST = `
metadata-version: 2
info: {name: dicom-synth}
schema-in:
  image: {dicom-type: dicom-image}
  ct: {dicom-type: dicom-series}
  mr: {dicom-type: dicom-series, modalities: [MR], series-related-instances: 5}
  study: {dicom-type: dicom-study}
  counted: {dicom-type: dicom-study, study-related-series: [3, 1]}
schema-out:
  ok: {type: boolean}
`;

function definition(): MachineDefinition {
  const result = checkManifest(loadManifestText(MANIFEST, 'inline.yaml'));
  expect(result.findings.filter((f) => f.severity === 'error')).to.deep.equal([]);
  return result.definition;
}

async function listAll(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await listAll(root, abs)));
    else out.push(relative(root, abs));
  }
  return out.sort();
}

async function hashOf(root: string, files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(await readFile(join(root, f)));
  return h.digest('hex');
}

function headers(root: string, files: readonly string[]) {
  return files.map((f) => scanHeaderSync(join(root, f)));
}

describe('harness/synth-dicom: one maker of synthetic DICOM', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('synth-dicom');
  });
  after(() => removeDir(dir));

  it('berth synth and a case of {synth: {}} give the same counts, sizes and bytes for one seed', async function () {
    this.timeout(60_000);
    const def = definition();
    const cli = join(dir, 'cli');
    await synthTree(def, 'in', cli, { seed: 3 });
    const fromCase = join(dir, 'case');
    const values = Object.fromEntries(def.inputs.map((p) => [p.name, { synth: { seed: 3 } }]));
    await materialiseValues(def.inputs, values, fromCase, { baseDir: dir });
    const files = await listAll(cli);
    expect(await listAll(fromCase)).to.deep.equal(files);
    expect(await hashOf(fromCase, files)).to.equal(await hashOf(cli, files));
    const count = (prefix: string): number => files.filter((f) => f.startsWith(`${prefix}/`)).length;
    expect([count('ct'), count('mr'), count('study'), count('counted')]).to.deep.equal([8, 5, 8, 4]);
    expect(scanHeaderSync(join(cli, 'image')).Rows).to.equal(64);
  });

  it('gives the DICOM inputs of one tree one PatientID and StudyInstanceUID, and distinct series', async function () {
    this.timeout(60_000);
    const out = join(dir, 'shared');
    await synthTree(definition(), 'in', out, { seed: 9 });
    const all = headers(out, await listAll(out));
    expect(new Set(all.map((h) => h.StudyInstanceUID)).size).to.equal(1);
    expect(new Set(all.map((h) => h.get('PatientID'))).size).to.equal(1);
    expect(new Set(all.map((h) => h.SOPInstanceUID)).size).to.equal(all.length);
    // image 1, ct 1, mr 1, study 2, counted 2
    expect(new Set(all.map((h) => h.SeriesInstanceUID)).size).to.equal(7);
  });

  it('makes a valid PatientID from any seed text (LO: no backslash, at most 64 characters)', async function () {
    this.timeout(60_000);
    const out = join(dir, 'odd-seed');
    const result = await synthTree(definition(), 'in', out, { seed: `a\\b ${'x'.repeat(80)}` });
    expect(result.findings).to.deep.equal([]);
    const id = String(scanHeaderSync(join(out, 'image')).get('PatientID'));
    expect(id).to.match(/^BERTH-a_b_x+$/);
    expect(id.length).to.be.at.most(64);
  });

  it('gives each DICOM input its own patient and study with separateStudies', async function () {
    this.timeout(60_000);
    const out = join(dir, 'separate');
    await synthTree(definition(), 'in', out, { seed: 9, separateStudies: true });
    const files = await listAll(out);
    const studyOf = (prefix: string) =>
      new Set(
        headers(
          out,
          files.filter((f) => f === prefix || f.startsWith(`${prefix}/`)),
        ).map((h) => h.StudyInstanceUID),
      );
    const studies = ['image', 'ct', 'mr', 'study', 'counted'].map((p) => [...studyOf(p)]);
    for (const s of studies) expect(s).to.have.length(1);
    expect(new Set(studies.flat()).size).to.equal(5);
    expect(new Set(headers(out, files).map((h) => h.get('PatientID'))).size).to.equal(5);
  });

  it("shares the study across a case's inputs, except one marked separateStudy", async function () {
    this.timeout(60_000);
    const def = definition();
    const out = join(dir, 'case-shared');
    await materialiseValues(
      def.inputs.filter((p) => p.name === 'ct' || p.name === 'mr' || p.name === 'image'),
      {
        ct: { synth: { seed: 1, instances: 3 } },
        mr: { synth: { seed: 2 } },
        image: { synth: { separateStudy: true } },
      },
      out,
      { baseDir: dir },
    );
    const files = await listAll(out);
    const ct = headers(
      out,
      files.filter((f) => f.startsWith('ct/')),
    );
    const mr = headers(
      out,
      files.filter((f) => f.startsWith('mr/')),
    );
    const image = scanHeaderSync(join(out, 'image'));
    expect(ct).to.have.length(3);
    expect(mr[0]!.StudyInstanceUID).to.equal(ct[0]!.StudyInstanceUID);
    expect(mr[0]!.get('PatientID')).to.equal(ct[0]!.get('PatientID'));
    expect(image.StudyInstanceUID).to.not.equal(ct[0]!.StudyInstanceUID);
  });

  it('refuses unknown {synth} options and sizes beyond the limits, naming what it expected', async () => {
    const def = definition();
    const ct = def.inputs.filter((p) => p.name === 'ct');
    const attempt = (synth: Record<string, unknown>) =>
      codeOfAsync(
        materialiseValues(ct, { ct: { synth } as never }, join(dir, 'refused'), {
          baseDir: dir,
        }),
      );
    expect(await attempt({ slices: 4 })).to.equal('BERTH_E_CASE_VALUE');
    expect(await attempt({ rows: 100_000 })).to.equal('BERTH_E_CASE_VALUE');
    expect(await attempt({ instances: 0 })).to.equal('BERTH_E_CASE_VALUE');
    expect(await attempt({ instances: 2001 })).to.equal('BERTH_E_CASE_VALUE');
  });
});
