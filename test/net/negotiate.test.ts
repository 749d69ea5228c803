import { expect } from 'chai';
import { negotiate, negotiateContext } from '../../src/net/negotiate.js';
import { VERIFICATION_SOP_CLASS } from '../../src/net/sop-classes.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';
const KOS = '1.2.840.10008.5.1.4.1.1.88.59';
const GSPS = '1.2.840.10008.5.1.4.1.1.11.1';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const BIG = '1.2.840.10008.1.2.2';
const JPEG_LS = '1.2.840.10008.1.2.4.80';
const J2K = '1.2.840.10008.1.2.4.90';
const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
const RLE = '1.2.840.10008.1.2.5';
const MPEG2 = '1.2.840.10008.1.2.4.100';

const decide = (abstractSyntaxUid: string, transferSyntaxUids: string[]) =>
  negotiateContext({ id: 1, abstractSyntaxUid, transferSyntaxUids });

describe('net/negotiate', () => {
  it("accepts the first syntax in the SCU's order that berth reads, not berth's favourite", () => {
    expect(decide(CT, [JPEG_LS, EXPLICIT, IMPLICIT])).to.deep.equal({
      id: 1,
      result: 'accept',
      transferSyntaxUid: JPEG_LS,
    });
    expect(decide(CT, [IMPLICIT, EXPLICIT])).to.include({ transferSyntaxUid: IMPLICIT });
  });

  it('accepts for an image class every native syntax and every compressed one the codec registry decodes', () => {
    for (const ts of [IMPLICIT, EXPLICIT, DEFLATED, BIG, JPEG_LS, J2K, JPEG_LOSSLESS, RLE]) {
      expect(decide(CT, [ts]), ts).to.include({ result: 'accept', transferSyntaxUid: ts });
    }
  });

  it('skips a syntax berth cannot decode (MPEG-2, an unknown UID) and takes the next one offered', () => {
    expect(decide(CT, [MPEG2, '1.2.3.4', EXPLICIT])).to.include({ transferSyntaxUid: EXPLICIT });
    expect(decide(CT, [MPEG2])).to.deep.equal({ id: 1, result: 'transfer-syntaxes-not-supported' });
  });

  it('never accepts a compressed syntax for a non-image class (SR, KOS, presentation state)', () => {
    for (const sop of [COMPREHENSIVE_SR, KOS, GSPS]) {
      expect(decide(sop, [JPEG_LOSSLESS, J2K, EXPLICIT]), sop).to.include({ transferSyntaxUid: EXPLICIT });
      expect(decide(sop, [JPEG_LS, RLE]), sop).to.deep.equal({
        id: 1,
        result: 'transfer-syntaxes-not-supported',
      });
    }
  });

  it('accepts Verification (C-ECHO) in a native syntax', () => {
    expect(decide(VERIFICATION_SOP_CLASS, [IMPLICIT])).to.include({
      result: 'accept',
      transferSyntaxUid: IMPLICIT,
    });
  });

  it('refuses an abstract syntax berth does not know (a query model, an unknown class)', () => {
    const find = '1.2.840.10008.5.1.4.1.2.2.1';
    expect(decide(find, [IMPLICIT])).to.deep.equal({ id: 1, result: 'abstract-syntax-not-supported' });
    expect(decide('1.2.3.4.5', [EXPLICIT])).to.deep.equal({ id: 1, result: 'abstract-syntax-not-supported' });
  });

  it('answers every proposed context, in order, with its own id', () => {
    const out = negotiate([
      { id: 1, abstractSyntaxUid: CT, transferSyntaxUids: [EXPLICIT] },
      { id: 3, abstractSyntaxUid: '9.9', transferSyntaxUids: [EXPLICIT] },
      { id: 5, abstractSyntaxUid: KOS, transferSyntaxUids: [J2K] },
    ]);
    expect(out.map((d) => [d.id, d.result])).to.deep.equal([
      [1, 'accept'],
      [3, 'abstract-syntax-not-supported'],
      [5, 'transfer-syntaxes-not-supported'],
    ]);
  });
});
