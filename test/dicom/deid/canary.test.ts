/**
 * The canary test: every attribute of Table E.1-1 carries a unique value; after de-identification a
 * byte search of the output finds none, except the values kept on purpose, asserted one by one.
 */
import { expect } from 'chai';
import { ROWS } from '../../../src/dicom/deid/actions.js';
import { Deidentifier } from '../../../src/dicom/deid/deidentify.js';
import { parseFile } from '../../../src/dicom/deid/tree.js';
import { buildCanaryFile, CANARY_SHIFT_DAYS, survivors } from './canary.js';

const SECRET = 'canary-test-secret-0123456789';

describe('dicom/deid canary test', () => {
  const file = buildCanaryFile();

  it('puts a searchable canary in most of the table and the file parses back', () => {
    expect(file.canaries.length).to.be.greaterThan(ROWS.size);
    expect(parseFile(file.bytes, 'canary.dcm').dataSet.length).to.be.greaterThan(ROWS.size - 10);
    // every canary is in the input, so a missing one in the output means it was removed
    expect(survivors(file.bytes, file.canaries)).to.have.length(file.canaries.length);
  });

  it('leaves no canary but the keep list under the basic profile alone', () => {
    const d = new Deidentifier({
      secret: SECRET,
      retainModifiedDates: false,
      keep: [0x00100040, 0x00081030], // PatientSex, StudyDescription
    });
    const out = d.deidentify(file.bytes, 'canary.dcm').bytes;
    const left = survivors(out, file.canaries).map((c) => c.attribute);
    expect(left).to.have.members(['PatientSex', 'StudyDescription']);
    expect(left).to.have.length(2);
  });

  it('lets through exactly what the options retain, and nothing nested, private or original', () => {
    const d = new Deidentifier({
      secret: SECRET,
      retainModifiedDates: true,
      retainPatientCharacteristics: true,
      retainDeviceIdentity: true,
      cleanDescriptors: true,
      dateShiftDays: CANARY_SHIFT_DAYS,
    });
    const out = d.deidentify(file.bytes, 'canary.dcm').bytes;
    const left = new Set(survivors(out, file.canaries).map((c) => c.attribute));
    // Expected from the table's own columns, independently of the code: an option's K or C keeps a
    // value (Clean Descriptors keeps a canary: it holds no other identifying value), except that the
    // Modified Dates C shifts dates (and a shifted date is another date) and wins over a K.
    const expected = new Set<string>();
    const searchable = new Set(file.canaries.map((c) => c.attribute));
    for (const row of ROWS.values()) {
      if (!searchable.has(row.keyword)) continue;
      const o = row.options;
      if (o.modifiedDates === 'C') continue; // dates shifted (TM kept, but TM canaries are not searched)
      if (o.patient || o.device || o.descriptors === 'C') expected.add(row.keyword);
    }
    for (const a of expected) expect(left.has(a), `${a} kept by an option`).to.equal(true);
    for (const a of left)
      expect(expected.has(a), `${a} survived without an option keeping it`).to.equal(true);
  });
});
