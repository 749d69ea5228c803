import { expect } from 'chai';
import fc from 'fast-check';
import { resolveSide } from '../../src/kinds/resolve.js';
import {
  RUNS,
  problemCode,
  expectFormatRefused,
  expectParseRefused,
  roundTrip,
  show,
  subject,
  valueOf,
} from './text-helpers.js';

describe('kinds/text forms: boolean', () => {
  const s = subject({ type: 'boolean' });

  it('true and false round-trip through True and False (fast-check)', () => {
    fc.assert(
      fc.property(fc.boolean(), (b) => {
        expect(roundTrip(s, b)).to.equal(b);
      }),
      { numRuns: 20 },
    );
    expect(valueOf(s.parse('True'))).to.equal(true);
    expect(valueOf(s.parse('False'))).to.equal(false);
  });

  it('refuses every other spelling (BERTH_E_VALUE_TEXT)', () => {
    expectParseRefused(
      s,
      [
        'true',
        'false',
        'TRUE',
        'FALSE',
        'tRUE',
        'yes',
        'no',
        'Yes',
        'on',
        'off',
        '1',
        '0',
        'T',
        'F',
        '',
        'Tru',
        'Truee',
        'TrueFalse',
        'True ',
        ' True',
        'True\n\n',
        '"True"',
        'None',
      ],
      'BERTH_E_VALUE_TEXT',
    );
  });

  it('refuses values that are not booleans (BERTH_E_VALUE_TYPE)', () => {
    expectFormatRefused(s, ['True', 'true', 1, 0, null, undefined, {}, 1n], 'BERTH_E_VALUE_TYPE');
  });
});

/** Non-empty enum values; a value ending in a newline is an edge case tested on its own below. */
const enumValue = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((v) => !v.endsWith('\n'));

describe('kinds/text forms: enum', () => {
  const s = subject({ enum: ['A', 'B', 'C'] });

  it('every value of any enum round-trips exactly (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(enumValue, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.boolean(),
        (values, i, typed) => {
          const e = subject(typed ? { type: 'string', enum: values } : { enum: values });
          expect(e.p.kind).to.equal('enum');
          const v = values[i % values.length]!;
          expect(valueOf(e.format(v), show(v))).to.equal(v);
          expect(roundTrip(e, v)).to.equal(v);
        },
      ),
      RUNS,
    );
  });

  it('values that look like other kinds stay strings', () => {
    const e = subject({ enum: ['1', 'True', '85%', '2017-05-27T03:40:40Z', ' padded ', '😀'] });
    for (const v of ['1', 'True', '85%', '2017-05-27T03:40:40Z', ' padded ', '😀']) {
      expect(roundTrip(e, v)).to.equal(v);
    }
  });

  it('refuses a case mismatch, spaces and anything not listed (BERTH_E_VALUE_ENUM)', () => {
    expectParseRefused(
      s,
      ['a', 'b', ' A', 'A ', '', 'D', 'AB', 'A\n\n', 'A\r', 'Ａ', 'A\0', '\ufeffA'],
      'BERTH_E_VALUE_ENUM',
    );
    expectFormatRefused(s, ['a', 'D', '', 'A\n'], 'BERTH_E_VALUE_ENUM');
  });

  it('refuses any text that is not a listed value (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 6 }), (t) => {
        fc.pre(!['A', 'B', 'C', 'A\n', 'B\n', 'C\n', 'A\r\n', 'B\r\n', 'C\r\n'].includes(t));
        expect(problemCode(s.parse(t), show(t))).to.equal('BERTH_E_VALUE_ENUM');
      }),
      RUNS,
    );
  });

  it('refuses values that are not strings (BERTH_E_VALUE_TYPE), e.g. the number 1 for enum ["1"]', () => {
    const e = subject({ enum: ['1', 'true', 'null'] });
    expectFormatRefused(e, [1, true, null, undefined, 1n, ['1']], 'BERTH_E_VALUE_TYPE');
  });

  it('an enum value ending in a newline is refused in the schema, or round-trips', () => {
    const def = { enum: ['a\n', 'b'] };
    const resolved = resolveSide({ x: def }, 'in', () => undefined);
    if (resolved.findings.some((f) => f.severity === 'error')) return;
    const e = subject(def);
    expect(roundTrip(e, 'a\n')).to.equal('a\n');
  });
});
