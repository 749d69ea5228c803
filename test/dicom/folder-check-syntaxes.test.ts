import { expect } from 'chai';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { isNotApplicable } from '../../src/dicom/instance-rules.js';
import { checkDicomProperty } from '../../src/kinds/dicom-property.js';
import { scanHeader } from '../../src/dicom/scan.js';
import { TS, transferSyntax } from '../../src/dicom/transfer-syntax.js';
import { removeDir, tempDir } from '../support/temp.js';
import { codes, definition, put } from '../support/dicom-fixtures.js';
import { encapsulatedPart10 } from '../support/dicom-peers.js';

/** A one-instance 8×8 OT file in `uid` whose pixel data is one opaque fragment. */
const opaquePart10 = (uid: string): Buffer => encapsulatedPart10(uid, new Uint8Array([0xff, 0x0a, 0, 0]));

const NEWER = [
  ['1.2.840.10008.1.2.4.110', 'JPEG XL Lossless'],
  ['1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression'],
  ['1.2.840.10008.1.2.4.112', 'JPEG XL'],
  ['1.2.840.10008.1.2.8.1', 'Deflated Image Frame Compression'],
] as const;

describe('dicom/folder-check: newer standard transfer syntaxes', () => {
  let tmp: string;
  before(async () => {
    tmp = await realpath(await tempDir('check-syntax'));
  });
  after(() => removeDir(tmp));

  for (const [uid, name] of NEWER) {
    it(`reads the header of a ${name} file and reports it as a syntax the property does not accept, not a broken file`, async () => {
      expect(transferSyntax(uid)?.encapsulated).to.equal(true);
      const file = await put(path.join(tmp, uid), 'x.dcm', opaquePart10(uid));
      const h = await scanHeader(file);
      expect(h.TransferSyntaxUID).to.equal(uid);
      const machine = definition({
        x: { 'dicom-type': 'dicom-image', 'transfer-syntax-uid': [TS.ExplicitVRLittleEndian] },
      });
      const findings = await checkDicomProperty(machine.inputs[0]!, file, 'in');
      expect(codes(findings).filter((c) => c !== 'BERTH_E_DICOM_FILE_NAME')).to.deep.equal([
        'BERTH_E_DICOM_TRANSFER_SYNTAX',
      ]);
      expect(isNotApplicable('BERTH_E_DICOM_TRANSFER_SYNTAX')).to.equal(true);
    });
  }
});
