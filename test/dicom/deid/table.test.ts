/** The generated Table E.1-1 and the actions it gives. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decide, resolveBasic, ROWS } from '../../../src/dicom/deid/actions.js';
import { PROFILE_EDITION } from '../../../src/dicom/deid/table.js';

describe('dicom/deid/table', () => {
  it('is what scripts/gen-deid-table.mjs generates from the pinned reference (no drift)', async function () {
    this.timeout(30_000);
    const script = new URL('../../../scripts/gen-deid-table.mjs', import.meta.url).pathname;
    await promisify(execFile)(process.execPath, [script, '--check']);
  });

  it('records the edition and holds every exact-tag row of the 2024b table', () => {
    expect(PROFILE_EDITION).to.equal('DICOM 2024b');
    expect(ROWS.size).to.equal(615);
    expect(ROWS.get(0x00100010)).to.include({ keyword: 'PatientName', vr: 'PN', basic: 'Z' });
  });

  it('resolves compound codes without the IOD Type to a letter that never keeps the value', () => {
    expect(resolveBasic('Z/D', false)).to.equal('D');
    expect(resolveBasic('X/Z', false)).to.equal('Z');
    expect(resolveBasic('X/D', false)).to.equal('D');
    expect(resolveBasic('X/Z/D', false)).to.equal('D');
    expect(resolveBasic('X/Z/D', true)).to.equal('X');
    expect(resolveBasic('X/D', true)).to.equal('X');
    expect(resolveBasic('X/Z', true)).to.equal('Z');
    expect(resolveBasic('X/Z/U*', true)).to.equal('U');
  });

  it('lets an option override the basic action, the keep list override everything, and C beat K', () => {
    const keep = new Set<number>();
    expect(decide(0x00080020, 'DA', {}, keep).action).to.equal('shift'); // StudyDate, dates on by default
    expect(decide(0x00080020, 'DA', { retainModifiedDates: false }, keep).action).to.equal('Z');
    expect(decide(0x00101010, 'AS', { retainPatientCharacteristics: true }, keep).action).to.equal('K');
    expect(decide(0x00100010, 'PN', {}, new Set([0x00100010])).action).to.equal('K');
    // DateOfLastDetectorCalibration: device K, modified dates C → shifted
    expect(decide(0x0018700c, 'DA', { retainDeviceIdentity: true }, keep).action).to.equal('shift');
    expect(decide(0x00091001, 'LO', {}, keep).action).to.not.equal('K');
    expect(decide(0x60003000, 'OW', {}, keep).action).to.equal('X');
    expect(decide(0x50000010, 'US', {}, keep).action).to.equal('X');
  });
});
