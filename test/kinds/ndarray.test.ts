/** The ndarray kind's shared rules: the shape text and the one dtype list. */
import { expect } from 'chai';
import { shapeText } from '../../src/kinds/ndarray.js';
import { NDARRAY_DTYPES } from '../../src/kinds/property.js';
import { DTYPE_NAMES, isDtypeName } from '../../src/ndarray/dtype.js';

describe('kinds/ndarray: shape text and dtypes', () => {
  it('writes a declared shape with * for a free extent', () => {
    expect(shapeText([512, null, 3])).to.equal('[512, *, 3]');
    expect(shapeText([])).to.equal('[]');
  });

  it('declares exactly the dtypes the array codecs support, from the one list', () => {
    expect(NDARRAY_DTYPES).to.equal(DTYPE_NAMES);
    for (const dtype of NDARRAY_DTYPES) expect(isDtypeName(dtype), dtype).to.equal(true);
  });
});
