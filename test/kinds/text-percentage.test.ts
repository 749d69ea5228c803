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

/**
 * A decimal fraction `k·10^-d` as the double nearest to it, with the exact percent text it should
 * be written as: the shortest decimal for `k·10^(2-d)` (JavaScript's own shortest form).
 */
const decimalFraction = fc
  .tuple(fc.integer({ min: -999_999_999, max: 999_999_999 }), fc.integer({ min: 0, max: 9 }))
  .map(([k, d]) => ({ fraction: Number(`${k}e-${d}`), text: `${String(Number(`${k}e${2 - d}`))}%` }));

/** Significant digits of a decimal text: `0.00120` and `1.2e-3` both have 2. */
function significantDigits(text: string): number {
  const mantissa = text.replace(/[eE].*$/, '').replace(/[-+.]/g, '');
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length;
}

/**
 * `actual` writes the same percent number as `expected`, with no more significant digits: either
 * plain or exponent notation will do (`0.0000123%` or `1.23e-5%`), never `85.00000000000001%`.
 */
function expectSamePercentText(actual: string, expected: string): void {
  expect(actual, expected).to.match(/%$/);
  const [a, e] = [actual.slice(0, -1), expected.slice(0, -1)];
  expect(Number(a), `${actual} vs ${expected}`).to.equal(Number(e));
  expect(significantDigits(a), `${actual} vs ${expected}`).to.be.at.most(significantDigits(e));
}

describe('kinds/text forms: percentage', () => {
  const s = subject({ type: 'percentage' });

  describe('exact text of decimal fractions', () => {
    it('0.85 → 85%, 0.855 → 85.5%, 0.07 → 7%, 1 → 100%, 0 → 0% and other everyday values', () => {
      const cases: [number, string][] = [
        [0.85, '85%'],
        [0.855, '85.5%'],
        [0.07, '7%'],
        [1, '100%'],
        [0, '0%'],
        [0.5, '50%'],
        [0.125, '12.5%'],
        [0.29, '29%'],
        [0.57, '57%'],
        [0.58, '58%'],
        [1.5, '150%'],
        [-0.25, '-25%'],
        [0.001, '0.1%'],
        [0.9999, '99.99%'],
      ];
      for (const [f, text] of cases) expect(valueOf(s.format(f), show(f)), show(f)).to.equal(text);
    });

    it('0.007 → 0.7%, 0.123 → 12.3% and 0.011 → 1.1% (never 1.0999999999999999%)', () => {
      const cases: [number, string][] = [
        [0.007, '0.7%'],
        [0.123, '12.3%'],
        [0.011, '1.1%'],
        [0.0123, '1.23%'],
        [0.000011, '0.0011%'],
      ];
      for (const [f, text] of cases) expect(valueOf(s.format(f), show(f)), show(f)).to.equal(text);
    });

    it('every decimal fraction gets its shortest exact percent text (fast-check)', () => {
      fc.assert(
        fc.property(decimalFraction, ({ fraction, text }) => {
          expectSamePercentText(valueOf(s.format(fraction)), text);
        }),
        RUNS,
      );
    });
  });

  describe('reading', () => {
    it('reads 85% as 0.85, 85.5% as 0.855, 7% as 0.07, with newline tolerance', () => {
      const cases: [string, number][] = [
        ['85%', 0.85],
        ['85.5%', 0.855],
        ['7%', 0.07],
        ['100%', 1],
        ['0%', 0],
        ['-25%', -0.25],
        ['+25%', 0.25],
        ['150%', 1.5],
        ['1e2%', 1],
        ['.5%', 0.005],
        ['85%\n', 0.85],
        ['85%\r\n', 0.85],
      ];
      for (const [text, f] of cases) expect(valueOf(s.parse(text), show(text)), show(text)).to.equal(f);
    });

    it('reads 0.7% as exactly 0.007 and 12.3% as exactly 0.123 (the double nearest the fraction)', () => {
      const cases: [string, number][] = [
        ['0.7%', 0.007],
        ['12.3%', 0.123],
        ['1.1%', 0.011],
        ['0.0011%', 0.000011],
      ];
      for (const [text, f] of cases) expect(valueOf(s.parse(text), show(text)), show(text)).to.equal(f);
    });

    it('reads every decimal percent text as the double nearest its fraction (fast-check)', () => {
      fc.assert(
        fc.property(decimalFraction, ({ fraction, text }) => {
          expect(valueOf(s.parse(text)), text).to.equal(fraction);
        }),
        RUNS,
      );
    });

    it('refuses every malformed text (BERTH_E_VALUE_TEXT)', () => {
      expectParseRefused(
        s,
        [
          '',
          '85',
          '0.85',
          '85 %',
          '%',
          'abc%',
          '%85',
          '% 85',
          '85%%',
          ' 85%',
          '85% ',
          '85%\n\n',
          '85％',
          'NaN%',
          'Infinity%',
          '-Infinity%',
          '0x10%',
          '1_0%',
          '1,5%',
          '+%',
          '-%',
          '.%',
          '1e%',
          '12abc%',
          '85%x',
          '1e400%',
          '-1e400%',
        ],
        'BERTH_E_VALUE_TEXT',
      );
    });
  });

  describe('round trip', () => {
    it('every finite fraction other than -0 reads back exactly (fast-check)', () => {
      fc.assert(
        fc.property(
          fc.double({ noNaN: true, noDefaultInfinity: true }).filter((f) => !Object.is(f, -0)),
          (f) => {
            expect(Object.is(roundTrip(s, f), f), show(f)).to.equal(true);
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('every decimal fraction reads back exactly (fast-check)', () => {
      fc.assert(
        fc.property(decimalFraction, ({ fraction }) => {
          expect(roundTrip(s, fraction), show(fraction)).to.equal(fraction);
        }),
        RUNS,
      );
    });

    it('subnormal and tiny fractions read back exactly', () => {
      for (const f of [5e-324, -5e-324, 1e-320, 2.2250738585072014e-308, 1e-300]) {
        expect(Object.is(roundTrip(s, f), f), show(f)).to.equal(true);
      }
    });

    it('huge fractions such as 1e307 are never written as Infinity% (written readably, or refused)', () => {
      for (const f of [1e307, -1e307, 1e308, Number.MAX_VALUE]) {
        const out = s.format(f);
        if (out.ok) expect(Object.is(valueOf(s.parse(out.value), out.value), f), show(f)).to.equal(true);
        else
          expect(out.problem.code, show(f)).to.be.oneOf(['BERTH_E_VALUE_TYPE', 'BERTH_E_VALUE_CONSTRAINT']);
      }
    });

    it('-0 reads back as -0 (as a number property does)', () => {
      const text = valueOf(s.format(-0));
      expect(Object.is(valueOf(s.parse(text), text), -0), `-0 was written as ${text}`).to.equal(true);
    });
  });

  describe('writing', () => {
    it('refuses values that are not finite fractions (BERTH_E_VALUE_TYPE)', () => {
      expectFormatRefused(
        s,
        ['85%', '0.85', '', NaN, Infinity, -Infinity, 85n, null, undefined, true, {}, new Date(0)],
        'BERTH_E_VALUE_TYPE',
      );
    });
  });

  describe('keywords are in percent, as written in the file', () => {
    it('maximum: 100 allows 100% and refuses 100.5%', () => {
      const k = subject({ type: 'percentage', minimum: 0, maximum: 100 });
      for (const t of ['0%', '100%', '50%', '99.99%']) valueOf(k.parse(t), t);
      expectParseRefused(k, ['100.5%', '101%', '-1%', '-0.001%'], 'BERTH_E_VALUE_CONSTRAINT');
      expect(valueOf(k.format(1))).to.equal('100%');
      expect(valueOf(k.format(0))).to.equal('0%');
      expectFormatRefused(k, [1.005, 2, -0.01], 'BERTH_E_VALUE_CONSTRAINT');
    });

    it('exclusiveMinimum and exclusiveMaximum are exclusive', () => {
      const k = subject({ type: 'percentage', exclusiveMinimum: 0, exclusiveMaximum: 100 });
      for (const t of ['0.001%', '99.9%']) valueOf(k.parse(t), t);
      expectParseRefused(k, ['0%', '100%'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(k, [0, 1], 'BERTH_E_VALUE_CONSTRAINT');
    });

    it('multipleOf is in percent: 5 allows 85% and refuses 87%; 0.5 allows 85.5%', () => {
      const five = subject({ type: 'percentage', multipleOf: 5 });
      valueOf(five.parse('85%'));
      valueOf(five.format(0.85));
      expectParseRefused(five, ['87%', '85.5%'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(five, [0.87], 'BERTH_E_VALUE_CONSTRAINT');
      const half = subject({ type: 'percentage', multipleOf: 0.5 });
      valueOf(half.parse('85.5%'));
      valueOf(half.format(0.855));
      expect(problemCode(half.parse('85.25%'))).to.equal('BERTH_E_VALUE_CONSTRAINT');
      const tenth = subject({ type: 'percentage', multipleOf: 0.1 });
      for (const t of ['12.3%', '0.3%', '99.9%']) valueOf(tenth.parse(t), t);
      expect(problemCode(tenth.parse('12.35%'))).to.equal('BERTH_E_VALUE_CONSTRAINT');
    });
  });
});
