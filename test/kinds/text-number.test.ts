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

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

describe('kinds/text forms: number', () => {
  const s = subject({ type: 'number' });

  describe('round trip', () => {
    it('every finite double reads back exactly, by Object.is (fast-check)', () => {
      fc.assert(
        fc.property(finite, (n) => {
          expect(Object.is(roundTrip(s, n), n), show(n)).to.equal(true);
        }),
        { numRuns: 1000 },
      );
    });

    it('the edges: ±0, subnormals, the largest and smallest doubles', () => {
      const edges = [
        0,
        -0,
        5e-324,
        -5e-324,
        2.225073858507201e-308,
        2.2250738585072014e-308,
        1e308,
        -1e308,
        Number.MAX_VALUE,
        -Number.MAX_VALUE,
        Number.EPSILON,
        Number.MAX_SAFE_INTEGER + 2,
        0.1,
        1 / 3,
        Math.PI,
      ];
      for (const n of edges) expect(Object.is(roundTrip(s, n), n), show(n)).to.equal(true);
    });

    it('the text is the shortest that reads back: String(n), and -0 for -0 (fast-check)', () => {
      fc.assert(
        fc.property(finite, (n) => {
          expect(valueOf(s.format(n))).to.equal(Object.is(n, -0) ? '-0' : String(n));
        }),
        RUNS,
      );
    });
  });

  describe('reading', () => {
    it('accepts decimal and exponent forms, with a sign', () => {
      const cases: [string, number][] = [
        ['3.1415926', 3.1415926],
        ['-3.5', -3.5],
        ['+3.5', 3.5],
        ['42', 42],
        ['1e3', 1000],
        ['1E3', 1000],
        ['1e+3', 1000],
        ['1e-3', 0.001],
        ['1.5e2', 150],
        ['.5', 0.5],
        ['5.', 5],
        ['007.5', 7.5],
        ['0.1', 0.1],
        ['1e+21', 1e21],
        ['5e-324', 5e-324],
        ['1.7976931348623157e+308', Number.MAX_VALUE],
      ];
      for (const [text, n] of cases) expect(valueOf(s.parse(text), text), text).to.equal(n);
      expect(Object.is(valueOf(s.parse('-0')), -0), '-0').to.equal(true);
    });

    it('refuses every malformed text (BERTH_E_VALUE_TEXT)', () => {
      expectParseRefused(
        s,
        [
          '',
          '12abc',
          'abc',
          'NaN',
          'nan',
          'Infinity',
          '-Infinity',
          '+Infinity',
          'inf',
          '0x1A',
          '0b101',
          '0o17',
          '1_000',
          '1,5',
          '1,000.5',
          ' 5',
          '5 ',
          '+',
          '-',
          '.',
          '-.',
          '1e',
          'e3',
          '1e+',
          '1e-',
          '1.2.3',
          '--1',
          '1e3.5',
          '５',
          '3.14\0',
          'True',
          '85%',
        ],
        'BERTH_E_VALUE_TEXT',
      );
    });

    it('refuses numbers beyond the range of a double (BERTH_E_VALUE_TEXT)', () => {
      expectParseRefused(s, ['1e309', '-1e309', '1e400', '2e308', '9'.repeat(400)], 'BERTH_E_VALUE_TEXT');
    });

    it('refuses the text of any double followed or preceded by junk (fast-check)', () => {
      const junk = fc.constantFrom('x', ' ', '%', '_', ',', 'e', '\0', '\n\n', 'f', '\r');
      fc.assert(
        fc.property(finite, junk, fc.boolean(), (n, j, before) => {
          const text = before ? j + String(n) : String(n) + j;
          expect(problemCode(s.parse(text), JSON.stringify(text))).to.equal('BERTH_E_VALUE_TEXT');
        }),
        RUNS,
      );
    });
  });

  describe('writing', () => {
    it('refuses values that are not finite numbers (BERTH_E_VALUE_TYPE)', () => {
      expectFormatRefused(
        s,
        [NaN, Infinity, -Infinity, '3.14', '', 5n, null, undefined, true, {}, [1], new Date(0)],
        'BERTH_E_VALUE_TYPE',
      );
    });
  });

  describe('keywords', () => {
    it('minimum and maximum are inclusive', () => {
      const k = subject({ type: 'number', minimum: 0, maximum: 1 });
      for (const t of ['0', '-0', '1', '0.5', '5e-324']) valueOf(k.parse(t), t);
      expectParseRefused(k, ['-5e-324', '-0.5', '1.0000000000000002', '2'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(k, [-0.1, 1.5], 'BERTH_E_VALUE_CONSTRAINT');
      expect(valueOf(k.format(1))).to.equal('1');
    });

    it('exclusiveMinimum and exclusiveMaximum are exclusive', () => {
      const k = subject({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 });
      for (const t of ['5e-324', '0.9999999999999999', '0.5']) valueOf(k.parse(t), t);
      expectParseRefused(k, ['0', '-0', '1'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(k, [0, 1], 'BERTH_E_VALUE_CONSTRAINT');
    });

    it('multipleOf 0.1 accepts 0.3, 0.7, 1.1 despite binary rounding, and refuses 0.35', () => {
      const k = subject({ type: 'number', multipleOf: 0.1 });
      for (const t of ['0', '0.3', '0.7', '1.1', '-0.3', '123456.7', '0.30000000000000004']) {
        valueOf(k.parse(t), t);
      }
      valueOf(k.format(0.1 + 0.2), 'format(0.1 + 0.2)');
      expectParseRefused(k, ['0.35', '0.15', '0.01', '1.05'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(k, [0.35], 'BERTH_E_VALUE_CONSTRAINT');
    });

    it('multipleOf 0.01 accepts every two-decimal text (fast-check)', () => {
      const k = subject({ type: 'number', multipleOf: 0.01 });
      fc.assert(
        fc.property(fc.integer({ min: -1e9, max: 1e9 }), (c) => {
          const text = String(Number(`${c}e-2`));
          valueOf(k.parse(text), text);
        }),
        RUNS,
      );
    });

    it('multipleOf 0.1 refuses every text ending in .x5 (fast-check)', () => {
      const k = subject({ type: 'number', multipleOf: 0.1 });
      fc.assert(
        fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 9 }), (i, d) => {
          const text = `${i}.${d}5`;
          expect(problemCode(k.parse(text), text)).to.equal('BERTH_E_VALUE_CONSTRAINT');
        }),
        RUNS,
      );
    });

    it('multipleOf: 2 refuses large odd numbers such as 20000000001', () => {
      const k = subject({ type: 'number', multipleOf: 2 });
      for (const t of ['20000000001', '1000000001', '1000000000000001']) {
        expect(problemCode(k.parse(t), t), t).to.equal('BERTH_E_VALUE_CONSTRAINT');
      }
    });
  });
});
