/** The de-identification codes: catalogued, in the README's code table, and produced where documented. */
import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CATALOGUE } from '../../../src/errors.js';
import { Deidentifier } from '../../../src/dicom/deid/deidentify.js';
import { scanForLeaks } from '../../../src/dicom/deid/leak.js';
import { checkMap } from '../../../src/dicom/deid/map.js';
import { TS } from '../../../src/dicom/transfer-syntax.js';
import { encodePart10, element } from '../../../src/dicom/write.js';
import { codeOf } from '../../support/codes.js';
import { removeDir, tempDir } from '../../support/temp.js';

const CODES = ['BERTH_E_PHI_LEAK', 'BERTH_E_PHI_BURNED_IN', 'BERTH_E_DEID_MAP'] as const;

function instance(sopClassUid: string, extra: ReturnType<typeof element>[] = []): Buffer {
  return encodePart10(
    [
      element('SOPClassUID', sopClassUid),
      element('SOPInstanceUID', '1.2.3.4.5'),
      element('StudyInstanceUID', '1.2.3.4'),
      element('PatientName', 'Doe^Jane'),
      element('PatientID', 'MRN-445566'),
      ...extra,
    ],
    { transferSyntaxUid: TS.ExplicitVRLittleEndian },
  );
}

describe('dicom/deid codes', () => {
  let dir: string;
  before(async () => (dir = await tempDir('deid-codes')));
  after(() => removeDir(dir));

  it('lists every de-identification code in the catalogue and in the README code table', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Finding and error codes'));
    for (const code of CODES) {
      expect(CATALOGUE).to.have.property(code);
      expect(table).to.include(`\`${code}\``);
    }
  });

  it('refuses a secondary capture instance with BERTH_E_PHI_BURNED_IN unless burned-in is allowed', () => {
    const sc = instance('1.2.840.10008.5.1.4.1.1.7');
    expect(codeOf(() => new Deidentifier({ secret: 'x'.repeat(16) }).deidentify(sc, 'sc.dcm'))).to.equal(
      'BERTH_E_PHI_BURNED_IN',
    );
    const allowed = new Deidentifier({ secret: 'x'.repeat(16), allowBurnedIn: true });
    expect(codeOf(() => allowed.deidentify(sc, 'sc.dcm'))).to.equal(undefined);
  });

  it('refuses a CT instance that says BurnedInAnnotation YES with BERTH_E_PHI_BURNED_IN', () => {
    const ct = instance('1.2.840.10008.5.1.4.1.1.2', [{ tag: 0x00280301, vr: 'CS', value: 'YES' }]);
    expect(codeOf(() => new Deidentifier({ secret: 'x'.repeat(16) }).deidentify(ct, 'ct.dcm'))).to.equal(
      'BERTH_E_PHI_BURNED_IN',
    );
  });

  it('refuses a secret under 16 bytes and a malformed map with BERTH_E_DEID_MAP', () => {
    expect(codeOf(() => new Deidentifier({ secret: 'short' }))).to.equal('BERTH_E_DEID_MAP');
    expect(codeOf(() => checkMap({ format: 'other' }, 'map.json'))).to.equal('BERTH_E_DEID_MAP');
    const bad = { format: 'berth-deid-map/1', uids: {}, studies: { '1.2': { elements: [{ tag: 'zz' }] } } };
    expect(codeOf(() => checkMap(bad, 'map.json'))).to.equal('BERTH_E_DEID_MAP');
  });

  it('reports BERTH_E_PHI_LEAK for an output holding a patient ID, naming the output and attribute', async () => {
    const d = new Deidentifier({ secret: 'x'.repeat(16) });
    d.deidentify(instance('1.2.840.10008.5.1.4.1.1.2'), 'in/ct.dcm');
    const out = join(dir, 'report.txt');
    await writeFile(out, 'Findings for patient MRN-445566: none\n');
    const findings = await scanForLeaks([out], d.phi());
    expect(findings.map((f) => [f.code, f.path, f.property])).to.deep.equal([
      ['BERTH_E_PHI_LEAK', out, 'PatientID'],
    ]);
    expect(findings[0]!.message).to.not.include('MRN-445566');
  });
});
