/** The one item reader every tree reader uses: items of both lengths, and malformed items refused alike. */
import { expect } from 'chai';
import { parseFile } from '../../src/dicom/deid/tree.js';
import { readItemElements, readSequenceItems, type ByteWindow } from '../../src/dicom/read-element.js';
import { scanHeaderBytes } from '../../src/dicom/scan.js';
import type { DicomItem } from '../../src/dicom/sequence.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { element, encodePart10 } from '../../src/dicom/write.js';
import { codeOf } from '../support/codes.js';

const LE = { little: true, explicit: true };

function win(bytes: number[]): ByteWindow {
  const buf = Buffer.from(bytes);
  return { buf, end: buf.length, complete: true, path: 'x.dcm', inflated: false };
}

/** (0010,0010) PN "AB" in explicit VR little endian. */
const NAME = [0x10, 0x00, 0x10, 0x00, 0x50, 0x4e, 2, 0, 0x41, 0x42];
const ITEM_DELIM = [0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0];
const SEQ_DELIM = [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0];
const item = (length: number): number[] => [
  0xfe,
  0xff,
  0x00,
  0xe0,
  ...Buffer.from(Uint32Array.of(length).buffer),
];

describe('dicom/read-element: the item reader', () => {
  it('reads an item of undefined length up to its delimiter and says where it ends', () => {
    const w = win([...NAME, ...ITEM_DELIM, 0x99]);
    const seen: string[] = [];
    const next = readItemElements(
      w,
      0,
      undefined,
      LE,
      () => 'UN',
      (h, vr) => {
        seen.push(`${h.tag.toString(16)} ${vr} ${h.length}`);
        return h.valueOffset + h.length;
      },
    );
    expect(seen).to.deep.equal(['100010 PN 2']);
    expect(next).to.equal(18);
  });

  it('reads the items of a sequence of undefined length, each of either length', () => {
    const w = win([...item(10), ...NAME, ...item(0xffffffff), ...NAME, ...ITEM_DELIM, ...SEQ_DELIM]);
    const items: [number, number | undefined][] = [];
    const next = readSequenceItems(w, 0, undefined, true, (start, end) => {
      items.push([start, end]);
      return readItemElements(
        w,
        start,
        end,
        LE,
        () => 'UN',
        (h) => h.valueOffset + h.length,
      );
    });
    expect(items).to.deep.equal([
      [8, 18],
      [26, undefined],
    ]);
    expect(next).to.equal(w.end);
  });

  it('refuses an item delimiter inside an item of defined length, and a non-item in a sequence', () => {
    const delim = win([...NAME, ...ITEM_DELIM, ...NAME]);
    expect(
      codeOf(() =>
        readItemElements(
          delim,
          0,
          28,
          LE,
          () => 'UN',
          (h) => h.valueOffset + h.length,
        ),
      ),
    ).to.equal('BERTH_E_DICOM_PARSE');
    const notItem = win([...NAME, ...SEQ_DELIM]);
    expect(codeOf(() => readSequenceItems(notItem, 0, undefined, true, (s) => s))).to.equal(
      'BERTH_E_DICOM_PARSE',
    );
  });

  it('gives the de-identifier and header.get the same answer on an element that runs past its item', () => {
    const bytes = encodePart10(
      [
        element('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7'),
        element('SOPInstanceUID', '1.2.3.1'),
        element('StudyInstanceUID', '1.2.3.2'),
        element('SeriesInstanceUID', '1.2.3.3'),
        element('Modality', 'OT'),
        element('ReferencedImageSequence', [[element('ReferencedSOPInstanceUID', '1.2.3.4')], []]),
      ],
      { transferSyntaxUid: TS.ExplicitVRLittleEndian },
    );
    const at = bytes.indexOf(Buffer.from([0x08, 0x00, 0x55, 0x11, 0x55, 0x49]));
    bytes.writeUInt16LE(40, at + 6);
    const viaTree = codeOf(() => parseFile(bytes, 'x.dcm'));
    const viaHeader = codeOf(
      () => (scanHeaderBytes(bytes, 'x.dcm').get('ReferencedImageSequence') as DicomItem[])[0],
    );
    expect([viaTree, viaHeader]).to.deep.equal(['BERTH_E_DICOM_PARSE', 'BERTH_E_DICOM_PARSE']);
  });
});
