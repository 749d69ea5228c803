import { expect } from 'chai';
import fc from 'fast-check';
import {
  RUNS,
  problemCode,
  expectFormatRefused,
  expectParseRefused,
  roundTrip,
  subject,
  valueOf,
} from './text-helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;

describe('kinds/text forms: integer', () => {
  const s = subject({ type: 'integer' });

  describe('round trip', () => {
    it('every safe integer reads back exactly (fast-check)', () => {
      fc.assert(
        fc.property(fc.maxSafeInteger(), (n) => {
          expect(Object.is(roundTrip(s, n), n), String(n)).to.equal(true);
        }),
        RUNS,
      );
    });

    it('the edges: ±(2^53 − 1), 0, and -0 (which reads back as 0)', () => {
      for (const n of [MAX, -MAX, 0, 1, -1]) expect(Object.is(roundTrip(s, n), n), String(n)).to.equal(true);
      expect(Object.is(roundTrip(s, -0), 0), '-0 → 0').to.equal(true);
    });

    it('every safe bigint is written and reads back as a number (fast-check)', () => {
      fc.assert(
        fc.property(fc.bigInt(-(2n ** 53n - 1n), 2n ** 53n - 1n), (b) => {
          expect(roundTrip(s, b)).to.equal(Number(b));
        }),
        RUNS,
      );
    });
  });

  describe('reading', () => {
    it('accepts a sign and leading zeros', () => {
      const cases: [string, number][] = [
        ['+5', 5],
        ['-5', -5],
        ['007', 7],
        ['-007', -7],
        ['0', 0],
        ['9007199254740991', MAX],
        ['-9007199254740991', -MAX],
        ['+0009007199254740991', MAX],
      ];
      for (const [text, n] of cases) expect(valueOf(s.parse(text), text), text).to.equal(n);
    });

    it('reads -0 as 0, as it writes 0 for -0', () => {
      for (const text of ['-0', '-000']) {
        expect(Object.is(valueOf(s.parse(text)), 0), `${text} reads as 0, not -0`).to.equal(true);
      }
    });

    it('refuses every malformed text (BERTH_E_VALUE_TEXT)', () => {
      expectParseRefused(
        s,
        [
          '',
          '12abc',
          'abc',
          'NaN',
          'Infinity',
          '-Infinity',
          '0x1A',
          '0b101',
          '0o17',
          '1_000',
          '1,5',
          '1,000',
          ' 5',
          '5 ',
          '+',
          '-',
          '.',
          '1e',
          '1.0',
          '1.',
          '.5',
          '1.5',
          '1e3',
          '1E3',
          '--5',
          '+-5',
          '5-',
          '１２',
          '٥',
          '5\u00a0',
          '5\0',
          'True',
          '12n',
        ],
        'BERTH_E_VALUE_TEXT',
      );
    });

    it('refuses integers beyond ±(2^53 − 1) (BERTH_E_INTEGER_UNSAFE)', () => {
      expectParseRefused(
        s,
        [
          '9007199254740992',
          '-9007199254740992',
          '9007199254740993',
          '18446744073709551616',
          '1' + '0'.repeat(400),
          '-' + '9'.repeat(400),
        ],
        'BERTH_E_INTEGER_UNSAFE',
      );
    });

    it('refuses every integer text beyond the safe range (fast-check)', () => {
      const beyond = fc.oneof(fc.bigInt(2n ** 53n, 2n ** 200n), fc.bigInt(-(2n ** 200n), -(2n ** 53n)));
      fc.assert(
        fc.property(beyond, (b) => {
          expect(problemCode(s.parse(String(b)), String(b))).to.equal('BERTH_E_INTEGER_UNSAFE');
        }),
        RUNS,
      );
    });

    it('refuses any safe integer followed or preceded by junk (fast-check)', () => {
      const junk = fc.constantFrom('x', '.0', 'e0', ' ', '%', '_', ',0', '\0', '\n\n');
      fc.assert(
        fc.property(fc.maxSafeInteger(), junk, fc.boolean(), (n, j, before) => {
          const text = before ? j + String(n) : String(n) + j;
          expect(problemCode(s.parse(text), JSON.stringify(text))).to.equal('BERTH_E_VALUE_TEXT');
        }),
        RUNS,
      );
    });
  });

  describe('writing', () => {
    it('refuses values that are not integers (BERTH_E_VALUE_TYPE)', () => {
      expectFormatRefused(
        s,
        ['5', '', 1.5, -0.5, 5e-324, NaN, Infinity, -Infinity, null, undefined, true, {}, [5], new Date(0)],
        'BERTH_E_VALUE_TYPE',
      );
    });

    it('refuses integers beyond ±(2^53 − 1), as numbers or bigints (BERTH_E_INTEGER_UNSAFE)', () => {
      expectFormatRefused(
        s,
        [2 ** 53, -(2 ** 53), 1e300, -Number.MAX_VALUE, 2n ** 53n, -(2n ** 53n), 2n ** 64n, 10n ** 400n],
        'BERTH_E_INTEGER_UNSAFE',
      );
    });
  });

  describe('keywords', () => {
    it('minimum and maximum are inclusive', () => {
      const k = subject({ type: 'integer', minimum: 0, maximum: 10 });
      for (const t of ['0', '10', '5']) valueOf(k.parse(t), t);
      expectParseRefused(k, ['-1', '11', '9007199254740991'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(k, [-1, 11], 'BERTH_E_VALUE_CONSTRAINT');
      expect(valueOf(k.format(10))).to.equal('10');
    });

    it('exclusiveMinimum and exclusiveMaximum are exclusive', () => {
      const k = subject({ type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 10 });
      for (const t of ['1', '9']) valueOf(k.parse(t), t);
      expectParseRefused(k, ['0', '10'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(k, [0, 10], 'BERTH_E_VALUE_CONSTRAINT');
    });

    it('multipleOf accepts multiples and refuses the rest', () => {
      const k = subject({ type: 'integer', multipleOf: 3 });
      for (const t of ['0', '9', '-9', '3']) valueOf(k.parse(t), t);
      expectParseRefused(k, ['10', '-1', '1'], 'BERTH_E_VALUE_CONSTRAINT');
      expectFormatRefused(k, [10], 'BERTH_E_VALUE_CONSTRAINT');
    });

    it('multipleOf: 2 refuses large odd integers such as 1000000001 and 2^53 − 1', () => {
      const k = subject({ type: 'integer', multipleOf: 2 });
      for (const t of ['1000000001', '20000000001', '9007199254740991']) {
        expect(problemCode(k.parse(t), t), t).to.equal('BERTH_E_VALUE_CONSTRAINT');
      }
      expect(problemCode(k.format(1000000001), 'format(1000000001)')).to.equal('BERTH_E_VALUE_CONSTRAINT');
    });

    it('multipleOf m accepts n exactly when n % m is 0 (fast-check)', () => {
      fc.assert(
        fc.property(fc.maxSafeInteger(), fc.integer({ min: 1, max: 1000 }), (n, m) => {
          const k = subject({ type: 'integer', multipleOf: m });
          expect(k.parse(String(n)).ok, `${n} multipleOf ${m}`).to.equal(n % m === 0);
        }),
        { numRuns: 300 },
      );
    });
  });
});
