import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  DICOM_EDITION,
  entryByKeyword,
  entryByTag,
  keywords,
  resolveTag,
} from '../../src/dicom/dictionary.js';
import { runPython } from '../support/python.js';
import { requirePeer } from '../support/peers.js';
import { PYDICOM_PEER } from '../support/dicom-peers.js';

const exec = promisify(execFile);

/** Where PS3.6 2024b and pydicom 2.3's older dictionary legitimately differ (VM only). */
const EDITION_VM_CHANGES: Record<string, string> = {
  FrameType: '4-5',
  GrayLookupTableData: '1-n or 1',
  LUTData: '1-n or 1',
};

describe('dicom/dictionary: lookups before and after the tables are built', () => {
  it('answers the same by text search (first lookups) and by table (later ones)', () => {
    const names = [
      'PatientName',
      'OverlayData',
      'PixelData',
      'FileMetaInformationGroupLength',
      'Item',
      'Nope',
    ];
    const first = names.map((n) => entryByKeyword(n));
    for (let i = 0; i < 100; i++) entryByTag(0x00100010 + i);
    expect(names.map((n) => entryByKeyword(n))).to.deep.equal(first);
    expect(first.map((e) => e?.tag)).to.deep.equal([
      0x00100010,
      0x60003000,
      0x7fe00010,
      0x00020000,
      0xfffee000,
      undefined,
    ]);
  });
});

describe('dicom/dictionary: the PS3.6 data dictionary', () => {
  it('is the current output of its generator for the recorded edition', async () => {
    expect(DICOM_EDITION).to.equal('DICOM 2024b');
    await exec(process.execPath, ['scripts/gen-dicom-dictionary.mjs', '--check']);
  });

  it('knows every public keyword, with VR and VM, and repeating groups by tag', () => {
    expect(keywords().length).to.be.greaterThan(5000);
    expect(entryByKeyword('FlipAngle')).to.deep.include({
      tag: 0x00181314,
      vr: 'DS',
      vm: '1',
      retired: false,
    });
    expect(entryByKeyword('ImagerPixelSpacing')).to.deep.include({ tag: 0x00181164, vr: 'DS', vm: '2' });
    expect(entryByKeyword('DiffusionBValue')).to.deep.include({ tag: 0x00189087, vr: 'FD' });
    expect(entryByKeyword('ReferencedImageSequence')?.vr).to.equal('SQ');
    expect(entryByKeyword('SmallestImagePixelValue')?.vrs).to.deep.equal(['US', 'SS']);
    expect(entryByTag(0x60023000)).to.deep.include({ keyword: 'OverlayData', tag: 0x60023000, vr: 'OW' });
    expect(entryByTag(0x00091010)).to.equal(undefined);
    expect(resolveTag('PatientName')).to.equal(0x00100010);
    expect(resolveTag('(0029,1010)')).to.equal(0x00291010);
    expect(resolveTag('NoSuchKeyword')).to.equal(undefined);
  });

  it('agrees with pydicom on the tag, VR and VM of every keyword pydicom knows outside the command group', async function () {
    await requirePeer(this, PYDICOM_PEER);
    const r = await runPython(`
import json
from pydicom.datadict import DicomDictionary
print(json.dumps({kw: [tag, vr, vm] for tag, (vr, vm, name, ret, kw) in DicomDictionary.items() if kw}))
`);
    expect(r.code, String(r.stderr)).to.equal(0);
    const py = JSON.parse(r.stdout.toString('utf8')) as Record<string, [number, string, string]>;
    const wrong: string[] = [];
    let compared = 0;
    for (const [kw, [tag, vr, vm]] of Object.entries(py)) {
      if (tag >>> 16 === 0) continue; // DIMSE command elements: never in a stored file, not in Table 6-1
      compared++;
      const e = entryByKeyword(kw);
      const vrs = e?.vrs.length === 0 ? 'NONE' : e?.vrs.join(' or ');
      if (!e || e.tag !== tag || vrs !== vr || e.vm !== (EDITION_VM_CHANGES[kw] ?? vm)) {
        wrong.push(`${kw}: pydicom ${tag.toString(16)} ${vr} ${vm}, berth ${JSON.stringify(e)}`);
      }
    }
    expect(compared).to.be.greaterThan(4800);
    expect(wrong).to.deep.equal([]);
  });
});
