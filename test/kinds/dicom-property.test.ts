import { expect } from 'chai';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { checkDicomEntry } from '../../src/dicom/folder-check.js';
import { writeSeries } from '../../src/dicom/synth.js';
import { checkDicomProperty, dicomEntryOf, inputUidSource } from '../../src/kinds/dicom-property.js';
import { definition } from '../support/dicom-fixtures.js';
import { removeDir, tempDir } from '../support/temp.js';

const DEF = definition(
  {
    ct: { 'dicom-type': 'dicom-series', modalities: ['MR'], 'series-related-instances': 3 },
    note: { type: 'string' },
  },
  { seg: { 'dicom-type': 'dicom-study' } },
);
const [ct, note] = DEF.inputs as [(typeof DEF.inputs)[0], (typeof DEF.inputs)[0]];

describe('kinds/dicom-property: DICOM properties as the DICOM modules take them', () => {
  let tmp: string;
  before(async () => {
    tmp = await realpath(await tempDir('dicom-property'));
  });
  after(() => removeDir(tmp));

  it('gives a DICOM property plain: its level, constraints and path; nothing for another kind', () => {
    expect(dicomEntryOf(ct)).to.deep.equal({
      level: 'series',
      constraints: { modalities: ['MR'], seriesRelatedInstances: 3 },
      property: 'schema-in/ct',
    });
    expect(dicomEntryOf(DEF.outputs[0]!)).to.include({ level: 'study', property: 'schema-out/seg' });
    expect(dicomEntryOf(note)).to.equal(undefined);
  });

  it("checks a property's entry through its kind's storage, as the DICOM folder check does", async () => {
    const dir = path.join(tmp, 'ct');
    await writeSeries(dir, { seed: 'prop', instances: 2 });
    const findings = await checkDicomProperty(ct, dir, 'in');
    expect(findings.map((f) => f.code).sort()).to.deep.equal([
      'BERTH_E_DICOM_MODALITY',
      'BERTH_E_DICOM_SERIES_INSTANCES',
    ]);
    expect(findings).to.deep.equal(await checkDicomEntry(dicomEntryOf(ct)!, dir, 'in'));
    expect(await checkDicomProperty(note, dir, 'in')).to.deep.equal([]);
  });

  it('collects the input UIDs of a tree by its properties, once', async () => {
    const root = path.join(tmp, 'in');
    const written = await writeSeries(path.join(root, 'ct'), { seed: 'in', instances: 2 });
    const source = inputUidSource(root, DEF.inputs);
    const uids = await source();
    expect([...uids.series]).to.deep.equal([written.seriesInstanceUid]);
    expect(uids.sop.size).to.equal(2);
    expect(await source()).to.equal(uids);
  });
});
