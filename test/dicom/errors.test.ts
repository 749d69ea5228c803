import { expect } from 'chai';
import fc from 'fast-check';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBerthError } from '../../src/errors.js';
import { fromDicomParserThrow, parseFull, parseFullBytes } from '../support/dicom-parser.js';
import { scanHeader, scanHeaderBytes, scanHeaderSync } from '../../src/dicom/scan.js';
import { synthSeries } from '../../src/dicom/synth.js';
import { writeBrokenCorpus, type BrokenFile } from '../support/broken-corpus.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write.js';
import { removeDir, tempDir } from '../support/temp.js';
import { codeOf } from '../support/codes.js';

const DICOM_CODES = new Set([
  'BERTH_E_NOT_PART10',
  'BERTH_E_TRUNCATED',
  'BERTH_E_NO_TRANSFER_SYNTAX',
  'BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX',
  'BERTH_E_MISSING_ATTRIBUTE',
  'BERTH_E_PIXEL_LENGTH',
  'BERTH_E_DICOM_PARSE',
]);

describe('dicom/errors: every broken file gets its code', () => {
  let dir: string;
  let corpus: BrokenFile[];
  before(async () => {
    dir = await tempDir('dicom');
    corpus = await writeBrokenCorpus(join(dir, 'broken'), 7);
  });
  after(() => removeDir(dir));

  it('covers every DICOM error code', () => {
    expect(new Set(corpus.map((f) => f.expected))).to.deep.equal(DICOM_CODES);
  });

  it('gives each corpus file its exact code, with the path and what was expected', async () => {
    for (const f of corpus) {
      let caught: unknown;
      try {
        scanHeaderSync(f.path);
      } catch (e) {
        caught = e;
      }
      expect(isBerthError(caught), f.name).to.equal(true);
      if (!isBerthError(caught)) continue;
      expect(caught.code, `${f.name}: ${caught.message}`).to.equal(f.expected);
      expect(caught.path).to.equal(f.path);
      expect(caught.expected, f.name).to.be.a('string').and.not.equal('');
      expect(caught.message).to.contain(f.path);
      // The async scan agrees.
      const asyncCode = await scanHeader(f.path).then(
        () => 'no error',
        (e: unknown) => (isBerthError(e) ? e.code : String(e)),
      );
      expect(asyncCode, f.name).to.equal(f.expected);
    }
  });

  it('never hangs or allocates on garbage lengths: every 4-byte window set to 0xFFFFFFF0 or 0xFFFFFFFF', function () {
    this.timeout(60_000);
    const [inst] = synthSeries({
      instances: 1,
      rows: 8,
      columns: 8,
      privateTags: true,
      sequences: 'undefined',
    });
    for (const ts of [TS.ExplicitVRLittleEndian, TS.ImplicitVRLittleEndian, TS.ExplicitVRBigEndian]) {
      const good = encodePart10(inst!.elements, { transferSyntaxUid: ts });
      const pixelAt = scanHeaderBytes(good, 'x').pixelData!.offset;
      const started = Date.now();
      for (let at = 132; at < pixelAt; at += 2) {
        for (const value of [0xfffffff0, 0xffffffff, 0x7fffffff]) {
          const bad = Buffer.from(good);
          bad.writeUInt32LE(value, at);
          const code = codeOf(() => scanHeaderBytes(bad, 'garbage.dcm'));
          if (code !== undefined) expect(DICOM_CODES.has(code), `${code} at ${at}`).to.equal(true);
        }
      }
      // About 1500 mutated files per syntax; generous bound, the point is that it ends.
      expect(Date.now() - started).to.be.lessThan(20_000);
    }
  });

  it('turns random bytes and random truncations into BerthErrors (property)', () => {
    const [inst] = synthSeries({
      instances: 1,
      rows: 8,
      columns: 8,
      privateTags: true,
      sequences: 'defined',
    });
    const good = encodePart10(inst!.elements, { transferSyntaxUid: TS.DeflatedExplicitVRLittleEndian });
    const plain = encodePart10(inst!.elements, { transferSyntaxUid: TS.ImplicitVRLittleEndian });
    fc.assert(
      fc.property(
        fc.constantFrom(good, plain),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (base, cut, flips) => {
          const bytes = Buffer.from(base.subarray(0, 132 + (cut % (base.length - 131))));
          for (const [at, v] of flips) bytes[at % bytes.length] = v;
          const code = codeOf(() => scanHeaderBytes(bytes, 'fuzz.dcm'));
          return code === undefined || DICOM_CODES.has(code);
        },
      ),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('normalises the three kinds of dicom-parser throws', () => {
    const fromString = fromDicomParserThrow(
      'dicomParser.readPart10Header: DICM prefix not found at location 132',
      'a',
    );
    expect(fromString.code).to.equal('BERTH_E_NOT_PART10');
    const fromError = fromDicomParserThrow(new Error('dicomParser.parseDicom: invalid VR'), 'b');
    expect(fromError.code).to.equal('BERTH_E_DICOM_PARSE');
    expect(fromError.path).to.equal('b');
    const fromObject = fromDicomParserThrow(
      { exception: 'dicomParser.readFixedString: attempt to read past end of buffer', dataSet: {} },
      'c',
    );
    expect(fromObject.code).to.equal('BERTH_E_TRUNCATED');
    const io = fromDicomParserThrow(Object.assign(new Error('nope'), { code: 'ENOENT' }), 'd');
    expect(io.code).to.equal('BERTH_E_NOT_FOUND');
  });

  it('parseFull (dicom-parser) throws BerthErrors on the corpus, never raw strings', async () => {
    for (const f of corpus) {
      try {
        parseFull(f.path, { stopBeforePixels: true });
      } catch (e) {
        expect(isBerthError(e), `${f.name}: ${String(e)}`).to.equal(true);
      }
    }
    expect(() => parseFullBytes(new Uint8Array(10), 'tiny'))
      .to.throw()
      .with.property('name', 'BerthError');
  });

  it('keeps the scan alive on a deeply nested sequence bomb', async () => {
    // 10 000 nested items of undefined length: rejected at depth 64, not a stack overflow.
    const open = Buffer.from([
      0x09, 0x00, 0x10, 0x10, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff,
    ]);
    const [inst] = synthSeries({ instances: 1, rows: 4, columns: 4 });
    const head = encodePart10(
      inst!.elements.filter((e) => e.tag < 0x00090000),
      { transferSyntaxUid: TS.ImplicitVRLittleEndian },
    );
    const path = join(dir, 'bomb.dcm');
    await writeFile(path, Buffer.concat([head, ...Array.from({ length: 10_000 }, () => open)]));
    expect(codeOf(() => scanHeaderSync(path))).to.equal('BERTH_E_DICOM_PARSE');
  });
});
