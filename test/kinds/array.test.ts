/** The array kind's item-count rule: one function, one wording, for every reader and writer. */
import { expect } from 'chai';
import { itemCountProblem } from '../../src/kinds/array.js';

describe('kinds/array: the item-count rule', () => {
  it('accepts a count within minItems and maxItems, bounds included, and any count without them', () => {
    expect(itemCountProblem(2, { minItems: 2, maxItems: 4 }, 'scans')).to.equal(undefined);
    expect(itemCountProblem(4, { minItems: 2, maxItems: 4 }, 'scans')).to.equal(undefined);
    expect(itemCountProblem(0, {}, 'scans')).to.equal(undefined);
  });

  it('refuses a count below minItems or above maxItems with BERTH_E_VALUE_CONSTRAINT and one wording', () => {
    expect(itemCountProblem(1, { minItems: 2 }, 'The array')).to.deep.equal({
      code: 'BERTH_E_VALUE_CONSTRAINT',
      message: 'The array has 1 items',
      expected: 'between 2 and ∞ items',
    });
    expect(itemCountProblem(5, { maxItems: 4 }, 'scans')).to.deep.equal({
      code: 'BERTH_E_VALUE_CONSTRAINT',
      message: 'scans has 5 items',
      expected: 'between 0 and 4 items',
    });
  });
});
