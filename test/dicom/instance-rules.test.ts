import { expect } from 'chai';
import { dicomFindingClass, instanceProblems, isNotApplicable } from '../../src/dicom/instance-rules.js';
import { scanHeaderBytes } from '../../src/dicom/scan.js';
import { SOP_CLASS } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { CATALOGUE, codesOfClass, type Code } from '../../src/errors.js';
import { editedInstance } from '../support/dicom-fixtures.js';

/** The codes the catalogue classes as not applicable (src/errors.ts). */
const NOT_APPLICABLE_CODES: ReadonlySet<Code> = new Set(codesOfClass('not-applicable'));

/** MPEG-2 Main Profile: a syntax berth has no encoder for, so nothing converts to it. */
const MPEG2 = '1.2.840.10008.1.2.4.100';

describe('dicom/instance-rules: one instance against its constraints', () => {
  describe('classification', () => {
    it('classifies the constraint codes as not applicable and everything else as broken', () => {
      expect([...NOT_APPLICABLE_CODES].sort()).to.deep.equal(
        [
          'BERTH_E_DICOM_MODALITY',
          'BERTH_E_DICOM_SERIES_INSTANCES',
          'BERTH_E_DICOM_SOP_CLASS',
          'BERTH_E_DICOM_STUDY_INSTANCES',
          'BERTH_E_DICOM_STUDY_SERIES',
          'BERTH_E_DICOM_TRANSFER_SYNTAX',
        ].sort(),
      );
      for (const code of Object.keys(CATALOGUE) as Code[]) {
        expect(dicomFindingClass(code)).to.equal(
          NOT_APPLICABLE_CODES.has(code) ? 'not-applicable' : 'broken',
        );
      }
      expect(isNotApplicable('BERTH_E_DICOM_FILE_NAME')).to.equal(false);
      expect(isNotApplicable('BERTH_E_TRUNCATED')).to.equal(false);
    });
  });

  describe('instanceProblems', () => {
    const header = scanHeaderBytes(editedInstance({ seed: 'rules', instances: 1 }, 0, {}).bytes, 'rules.dcm');

    it('finds nothing when no constraint is given', () => {
      expect(instanceProblems(header, {}, 'in')).to.deep.equal([]);
    });

    it('names the SOP class and modality an instance has, and the ones listed', () => {
      const problems = instanceProblems(header, { sopClasses: [SOP_CLASS.MR], modalities: ['MR'] }, 'in');
      expect(problems.map((p) => p.code)).to.deep.equal([
        'BERTH_E_DICOM_SOP_CLASS',
        'BERTH_E_DICOM_MODALITY',
      ]);
      expect(problems[0]!.message).to.equal(`SOPClassUID is ${header.SOPClassUID}`);
      expect(problems[1]!.expected).to.equal('one of MR (modalities)');
    });

    it('only warns of an input in a syntax berth converts to a listed one, and refuses it on an output', () => {
      const listed = { transferSyntaxUids: [TS.ImplicitVRLittleEndian] };
      expect(instanceProblems(header, listed, 'in').map((p) => p.code)).to.deep.equal([
        'BERTH_E_DICOM_CONVERTED',
      ]);
      expect(instanceProblems(header, listed, 'out').map((p) => p.code)).to.deep.equal([
        'BERTH_E_DICOM_TRANSFER_SYNTAX',
      ]);
    });

    it('refuses an input in a syntax berth cannot convert to any listed one', () => {
      const problems = instanceProblems(header, { transferSyntaxUids: [MPEG2] }, 'in');
      expect(problems.map((p) => p.code)).to.deep.equal(['BERTH_E_DICOM_TRANSFER_SYNTAX']);
      expect(isNotApplicable(problems[0]!.code)).to.equal(true);
    });
  });
});
