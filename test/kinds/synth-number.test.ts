/** Synthetic numbers (the `synth` of integer, number and percentage): bounds and multiples. */
import { expect } from 'chai';
import { prng } from '../../src/dicom/synth.js';
import type { Property } from '../../src/kinds/property.js';
import { synthNumber } from '../../src/kinds/synth-number.js';

function numberProp(keywords: Property['keywords'], kind: 'integer' | 'number'): Property {
  return { name: 'x', path: 'schema-in/x', side: 'in', kind, nullable: false, keywords, raw: {}, spec: null };
}

describe('kinds/synth-number: synthetic numbers that satisfy their keywords', () => {
  it('generates numbers within bounds and multiples', () => {
    const rand = prng('numbers');
    for (let i = 0; i < 50; i++) {
      const a = synthNumber(
        numberProp({ minimum: -5, maximum: 5 }, 'integer'),
        { minimum: -5, maximum: 5 },
        rand,
        true,
        [0, 100],
      );
      expect(a).to.be.within(-5, 5);
      expect(Number.isInteger(a)).to.equal(true);
      const k = { exclusiveMinimum: 0, exclusiveMaximum: 1, multipleOf: 0.25 };
      const b = synthNumber(numberProp(k, 'number'), k, rand, false, [0, 100]);
      expect([0.25, 0.5, 0.75]).to.include(b);
      const m = { minimum: 1000, multipleOf: 7 };
      const c = synthNumber(numberProp(m, 'integer'), m, rand, true, [0, 100]);
      expect(c % 7).to.equal(0);
      expect(c).to.be.at.least(1000);
      const n = { maximum: -3.5 };
      expect(synthNumber(numberProp(n, 'number'), n, rand, false, [0, 100])).to.be.at.most(-3.5);
    }
    const impossible = { minimum: 1, maximum: 2, multipleOf: 5 };
    expect(() => synthNumber(numberProp(impossible, 'integer'), impossible, rand, true, [0, 100])).to.throw();
  });
});
