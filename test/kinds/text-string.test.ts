import { expect } from 'chai';
import fc from 'fast-check';
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

/** Any well-formed Unicode, with the awkward cases weighted in. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc
    .tuple(
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.constantFrom('\n', '\r\n', '\n\n', '\0', ' ', '\r'),
    )
    .map(([t, end]) => t + end),
  fc.constantFrom(
    '',
    'a\n',
    'a\r\n',
    '\n',
    '\0',
    'a\0b',
    '😀',
    '👨‍👩‍👧',
    '👍🏽',
    'é',
    'e\u0301',
    '\ufeffbom',
    ' padded ',
    '\u2028\u2029',
    '\uffff',
    '\u{10ffff}',
  ),
);

describe('kinds/text forms: string', () => {
  const s = subject({ type: 'string' });

  it('any well-formed Unicode round-trips byte for byte, newlines at the end included (fast-check)', () => {
    fc.assert(
      fc.property(anyText, (t) => {
        expect(valueOf(s.format(t), show(t))).to.equal(t);
        expect(roundTrip(s, t)).to.equal(t);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads a text exactly as it is: "a\\n" is "a\\n"', () => {
    for (const t of ['a\n', 'a\r\n', 'a\n\n', ' a ', '\0', ''])
      expect(valueOf(s.parse(t), show(t))).to.equal(t);
  });

  it('refuses values that are not strings, and strings with lone surrogates (BERTH_E_VALUE_TYPE)', () => {
    expectFormatRefused(
      s,
      [5, null, undefined, true, {}, ['a'], 1n, new Date(0), '\ud800', 'a\udc00b', '\ud83d', 'x\ude00'],
      'BERTH_E_VALUE_TYPE',
    );
  });

  describe('keywords', () => {
    it('minLength and maxLength count code points: an emoji counts 1', () => {
      const k = subject({ type: 'string', minLength: 2, maxLength: 3 });
      for (const t of ['ab', 'abc', '😀😀', '😀😀😀', 'e\u0301']) valueOf(k.parse(t), show(t));
      expectParseRefused(k, ['a', '😀', '', 'abcd', '😀😀😀😀'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(k, ['a', 'abcd'], 'BERTH_E_VALUE_CONSTRAINT');
      const one = subject({ type: 'string', maxLength: 1 });
      valueOf(one.parse('😀'), 'one emoji, two UTF-16 units');
      valueOf(one.format('😀'), 'one emoji, two UTF-16 units');
      expect(problemCode(one.parse('👍🏽'), 'two code points')).to.equal('BERTH_E_VALUE_CONSTRAINT');
      const zero = subject({ type: 'string', maxLength: 0 });
      valueOf(zero.parse(''));
      expect(problemCode(zero.parse('\n'))).to.equal('BERTH_E_VALUE_CONSTRAINT');
    });

    it('maxLength n accepts exactly the texts of at most n code points (fast-check)', () => {
      fc.assert(
        fc.property(anyText, fc.integer({ min: 0, max: 12 }), (t, n) => {
          const k = subject({ type: 'string', maxLength: n, minLength: 0 });
          expect(k.parse(t).ok, `${show(t)} maxLength ${n}`).to.equal([...t].length <= n);
        }),
        RUNS,
      );
    });

    it('pattern is unanchored', () => {
      const k = subject({ type: 'string', pattern: 'b' });
      for (const t of ['abc', 'b', 'xxbxx']) valueOf(k.parse(t), t);
      expectParseRefused(k, ['xyz', '', 'B'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(k, ['xyz'], 'BERTH_E_VALUE_CONSTRAINT');
      const anchored = subject({ type: 'string', pattern: '^[a-z]+$' });
      valueOf(anchored.parse('abc'));
      expectParseRefused(anchored, ['abc1', 'Abc', 'abc\n'], 'BERTH_E_VALUE_CONSTRAINT');
    });

    it('pattern has Unicode semantics: ^.$ matches one emoji, \\p{Lu} works', () => {
      const dot = subject({ type: 'string', pattern: '^.$' });
      valueOf(dot.parse('😀'), 'one emoji is one character');
      expect(problemCode(dot.parse('ab'))).to.equal('BERTH_E_VALUE_CONSTRAINT');
      const upper = subject({ type: 'string', pattern: '\\p{Lu}' });
      valueOf(upper.parse('aBc'));
      valueOf(upper.parse('É'));
      expect(problemCode(upper.parse('abc'))).to.equal('BERTH_E_VALUE_CONSTRAINT');
    });

    it('format email, uuid and date are checked', () => {
      const email = subject({ type: 'string', format: 'email' });
      valueOf(email.parse('someone@example.com'));
      expectParseRefused(email, ['not-an-email', '@example.com', 'a@'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(email, ['not-an-email'], 'BERTH_E_VALUE_CONSTRAINT');

      const uuid = subject({ type: 'string', format: 'uuid' });
      valueOf(uuid.parse('123e4567-e89b-12d3-a456-426614174000'));
      expectParseRefused(
        uuid,
        ['123e4567', '123e4567-e89b-12d3-a456-42661417400g', '123e4567e89b12d3a456426614174000x'],
        'BERTH_E_VALUE_CONSTRAINT',
      );

      const date = subject({ type: 'string', format: 'date' });
      valueOf(date.parse('2017-05-27'));
      valueOf(date.parse('2016-02-29'));
      expectParseRefused(
        date,
        ['2017-02-30', '2017-13-01', '27/05/2017', '2017-05-27T03:40:40Z', ''],
        'BERTH_E_VALUE_CONSTRAINT',
      );
    });

    it('unknown format names are ignored', () => {
      const k = subject({ type: 'string', format: 'berth-no-such-format' });
      for (const t of ['', 'anything at all', '😀']) {
        expect(valueOf(k.parse(t), t)).to.equal(t);
        expect(valueOf(k.format(t), t)).to.equal(t);
      }
    });
  });
});
