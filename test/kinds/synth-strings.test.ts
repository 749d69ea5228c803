/** Synthetic strings (the string kind's `synth`): patterns, lengths, formats, whole words. */
import { expect } from 'chai';
import { prng } from '../../src/dicom/synth.js';
import type { Property } from '../../src/kinds/property.js';
import { fromPattern, synthString, words } from '../../src/kinds/synth-strings.js';

function stringProp(keywords: Property['keywords']): Property {
  return {
    name: 'x',
    path: 'schema-in/x',
    side: 'in',
    kind: 'string',
    nullable: false,
    keywords,
    raw: {},
    spec: null,
  };
}

describe('kinds/synth-strings: synthetic strings that satisfy their keywords', () => {
  it('generates strings for patterns, lengths and formats', () => {
    const rand = prng('strings');
    const patterns = [
      '^[A-Z]{3}-[0-9]{4}$',
      '^(left|right)$',
      '^\\d{2,4}\\.\\d$',
      '^[a-f0-9]{8}(-[a-f0-9]{4}){3}$',
      '^(?:foo|bar)+baz?$',
      'abc',
      '^[^0-9]{5}$',
      '^\\w+@example\\.org$',
    ];
    for (const pattern of patterns) {
      for (let i = 0; i < 20; i++) {
        expect(fromPattern(pattern, rand)).to.match(new RegExp(pattern, 'u'));
        const s = synthString(stringProp({ pattern, maxLength: 64 }), rand);
        expect(s).to.match(new RegExp(pattern, 'u'));
      }
    }
    expect(synthString(stringProp({ minLength: 40, maxLength: 40 }), rand)).to.have.length(40);
    expect(synthString(stringProp({ maxLength: 1 }), rand).length).to.be.at.most(1);
    expect(synthString(stringProp({ minLength: 0, maxLength: 0 }), rand)).to.equal('');
    expect(synthString(stringProp({ format: 'email' }), rand)).to.match(/@example\.com$/);
    expect(synthString(stringProp({ format: 'uuid' }), rand)).to.match(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(synthString(stringProp({ pattern: '^[0-9]+$', minLength: 10 }), rand)).to.match(/^[0-9]{10,}$/);
    expect(() => synthString(stringProp({ pattern: '^(?=a)b$' }), rand)).to.throw(
      /BERTH|satisfies|No string/,
    );
  });

  it('writes strings without pattern or format as whole words, at any length range', () => {
    const rand = prng('whole-words');
    const vocabulary = new Set(
      'a an of to in ct mr the and new left lung scan case note right value berth image chest sample report series normal finding lesion nodule patient marginal synthetic radiology calibrated measurement observations'.split(
        ' ',
      ),
    );
    for (const [min, max] of [
      [0, 24],
      [1, 1],
      [2, 2],
      [5, 6],
      [11, 11],
      [40, 40],
      [3, 200],
    ] as const) {
      for (let i = 0; i < 40; i++) {
        const s = synthString(stringProp({ minLength: min, maxLength: max }), rand);
        expect(s.length, s).to.be.within(min, max);
        for (const w of s.split(' ')) expect(vocabulary.has(w), `${JSON.stringify(s)}: ${w}`).to.equal(true);
        expect(words(rand, min, max).length).to.be.within(min, max);
      }
    }
  });
});
