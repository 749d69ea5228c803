import { expect } from 'chai';
import { Fragments } from '../../src/net/fragments.js';

describe('net/fragments', () => {
  it('gives back the fragments held as one buffer, in order, and then holds nothing', () => {
    const f = new Fragments(16, 'command set');
    expect(f.add(Buffer.from('abc'))).to.equal(true);
    expect(f.add(Buffer.from('def'))).to.equal(true);
    expect(f.take().toString()).to.equal('abcdef');
    expect(f.take().length).to.equal(0);
  });

  it('refuses the fragment that passes its bound and drops what it held', () => {
    const f = new Fragments(4, 'command set');
    expect(f.add(Buffer.from('abc'))).to.equal(true);
    expect(f.add(Buffer.from('de'))).to.equal(false);
    expect(f.take().length).to.equal(0);
    expect(f.add(Buffer.from('abcd'))).to.equal(true);
  });
});
