import { expect } from 'chai';
import { EntryFindings } from '../../src/dicom/entry-findings.js';
import type { DicomHeader } from '../../src/dicom/scan.js';

const problem = {
  code: 'BERTH_E_DICOM_MODALITY',
  message: 'Modality is MR',
  expected: 'one of CT (modalities)',
} as const;

describe('dicom/entry-findings: the findings of one DICOM entry', () => {
  it('names the property and the file in each finding', () => {
    const out = new EntryFindings('scans[].ct');
    out.add('BERTH_E_DICOM_EMPTY', 'ct holds no DICOM instances', '/in/ct', 'at least one instance');
    expect(out.list).to.have.length(1);
    expect(out.list[0]).to.include({ code: 'BERTH_E_DICOM_EMPTY', property: 'scans[].ct', path: '/in/ct' });
  });

  it('groups one problem of many instances into one finding that counts them and names the first', () => {
    const out = new EntryFindings('ct');
    out.instance(problem, '/in/ct/1.dcm');
    out.instance(problem, '/in/ct/2.dcm');
    out.flush(3);
    expect(out.list).to.have.length(1);
    expect(out.list[0]!.message).to.equal('Modality is MR in 2 of 3 instances (the first: 1.dcm)');
    expect(out.list[0]!.path).to.equal('/in/ct/1.dcm');
  });

  it('keeps the single message when one instance was looked at', () => {
    const out = new EntryFindings('ct');
    out.instance(problem, '/in/ct.dcm');
    out.flush(1);
    expect(out.list.map((f) => f.message)).to.deep.equal(['Modality is MR']);
  });

  it('reports file meta defects as one warning per code, counting the instances', () => {
    const out = new EntryFindings('ct');
    const warned = (file: string): DicomHeader =>
      ({
        path: file,
        warnings: [{ code: 'BERTH_E_DICOM_META_MISMATCH', message: 'the meta names another instance' }],
      }) as unknown as DicomHeader;
    out.metaWarnings([warned('/a.dcm'), warned('/b.dcm')]);
    expect(out.list).to.have.length(1);
    expect(out.list[0]).to.include({ severity: 'warning', path: '/a.dcm' });
    expect(out.list[0]!.message).to.equal('the meta names another instance (and in 1 more instance(s))');
  });
});
