import { expect } from 'chai';
import type { KindName } from '../../src/kinds/property.js';
import { kindOf } from '../../src/kinds/registry.js';
import type { JsonObject } from '../../src/manifest/document.js';
import { problemCode, show, subject, valueOf } from './text-helpers.js';
import { textFormOf } from '../../src/kinds/kind.js';

/** One well-formed text per primitive kind (strings apart), with the value it stands for. */
const SAMPLES: { kind: KindName; def: JsonObject; text: string; value: unknown; refusal: string }[] = [
  { kind: 'boolean', def: { type: 'boolean' }, text: 'True', value: true, refusal: 'BERTH_E_VALUE_TEXT' },
  { kind: 'integer', def: { type: 'integer' }, text: '42', value: 42, refusal: 'BERTH_E_VALUE_TEXT' },
  { kind: 'number', def: { type: 'number' }, text: '3.5', value: 3.5, refusal: 'BERTH_E_VALUE_TEXT' },
  {
    kind: 'percentage',
    def: { type: 'percentage' },
    text: '85%',
    value: 0.85,
    refusal: 'BERTH_E_VALUE_TEXT',
  },
  {
    kind: 'date-time',
    def: { type: 'date-time' },
    text: '2017-05-27T03:40:40Z',
    value: Date.UTC(2017, 4, 27, 3, 40, 40),
    refusal: 'BERTH_E_VALUE_TEXT',
  },
  { kind: 'enum', def: { enum: ['A', 'B', 'C'] }, text: 'B', value: 'B', refusal: 'BERTH_E_VALUE_ENUM' },
];

/** Dates compare by their millisecond. */
function plain(v: unknown): unknown {
  return v instanceof Date ? v.getTime() : v;
}

describe('kinds/text forms: all primitive kinds', () => {
  it('every primitive kind of the reference has a text form', () => {
    const primitives: KindName[] = [
      'string',
      'enum',
      'date-time',
      'boolean',
      'integer',
      'number',
      'percentage',
    ];
    for (const k of primitives) {
      const form = textFormOf(kindOf(k));
      expect(form, k).to.not.equal(undefined);
      expect(form!.expected, `${k}.expected`).to.be.a('string').with.length.above(0);
    }
  });

  it('each sample resolves to its kind and reads to its value', () => {
    for (const s of SAMPLES) {
      const subj = subject(s.def);
      expect(subj.p.kind).to.equal(s.kind);
      expect(plain(valueOf(subj.parse(s.text), `${s.kind} ${show(s.text)}`))).to.equal(s.value);
    }
  });

  describe('trailing newline tolerance', () => {
    for (const s of SAMPLES) {
      it(`${s.kind}: accepts one trailing \\n or \\r\\n`, () => {
        const subj = subject(s.def);
        for (const suffix of ['\n', '\r\n']) {
          const text = s.text + suffix;
          expect(plain(valueOf(subj.parse(text), show(text))), show(text)).to.equal(s.value);
        }
      });

      it(`${s.kind}: refuses two newlines, a lone \\r, and leading or trailing spaces (${s.refusal})`, () => {
        const subj = subject(s.def);
        const bad = [
          s.text + '\n\n',
          s.text + '\r\n\r\n',
          s.text + '\n\r\n',
          s.text + '\r\n\n',
          s.text + '\r',
          '\n' + s.text,
          '\r\n' + s.text,
          ' ' + s.text,
          s.text + ' ',
          ' ' + s.text + ' ',
          '\t' + s.text,
          s.text + '\t',
          s.text + ' \n',
          s.text + '\u00a0',
          '\ufeff' + s.text,
        ];
        for (const text of bad)
          expect(problemCode(subj.parse(text), show(text)), show(text)).to.equal(s.refusal);
      });
    }

    it('string: reads byte for byte, keeping every newline and space', () => {
      const subj = subject({ type: 'string' });
      for (const text of ['a\n', 'a\r\n', 'a\n\n', '\n', '\r\n', ' a ', '\ta\t', '']) {
        expect(valueOf(subj.parse(text), show(text))).to.equal(text);
      }
    });
  });

  describe('exact text forms', () => {
    it('booleans are True and False', () => {
      const s = subject({ type: 'boolean' });
      expect(valueOf(s.format(true))).to.equal('True');
      expect(valueOf(s.format(false))).to.equal('False');
    });

    it('date-times are UTC with Z and without .000', () => {
      const s = subject({ type: 'date-time' });
      expect(valueOf(s.format(new Date(Date.UTC(2017, 4, 27, 3, 40, 40))))).to.equal('2017-05-27T03:40:40Z');
      expect(valueOf(s.format(new Date(Date.UTC(2017, 4, 27, 3, 40, 40, 123))))).to.equal(
        '2017-05-27T03:40:40.123Z',
      );
      expect(valueOf(s.format(new Date(Date.UTC(2017, 4, 27, 3, 40, 40, 100))))).to.equal(
        '2017-05-27T03:40:40.100Z',
      );
      expect(valueOf(s.format(new Date(0)))).to.equal('1970-01-01T00:00:00Z');
    });

    it('numbers are the shortest decimal that reads back, with -0 and exponents', () => {
      const s = subject({ type: 'number' });
      const cases: [number, string][] = [
        [3.1415926, '3.1415926'],
        [1e21, '1e+21'],
        [-0, '-0'],
        [0, '0'],
        [0.1, '0.1'],
        [0.1 + 0.2, '0.30000000000000004'],
        [100, '100'],
        [-2.5, '-2.5'],
        [1e-7, '1e-7'],
        [1e308, '1e+308'],
        [5e-324, '5e-324'],
        [Number.MAX_VALUE, '1.7976931348623157e+308'],
      ];
      for (const [n, text] of cases) expect(valueOf(s.format(n), show(n)), show(n)).to.equal(text);
    });

    it('integers are plain decimal digits; -0 is written 0', () => {
      const s = subject({ type: 'integer' });
      const cases: [number | bigint, string][] = [
        [0, '0'],
        [-0, '0'],
        [42, '42'],
        [-42, '-42'],
        [Number.MAX_SAFE_INTEGER, '9007199254740991'],
        [Number.MIN_SAFE_INTEGER, '-9007199254740991'],
        [12n, '12'],
        [-(2n ** 53n - 1n), '-9007199254740991'],
      ];
      for (const [n, text] of cases) expect(valueOf(s.format(n), show(n)), show(n)).to.equal(text);
    });

    it('strings are written as they are', () => {
      const s = subject({ type: 'string' });
      for (const text of ['hello world', 'a\n', '', '\0', '😀'])
        expect(valueOf(s.format(text))).to.equal(text);
    });

    it('enum values are written as they are', () => {
      const s = subject({ enum: ['A', 'B', 'C'] });
      expect(valueOf(s.format('C'))).to.equal('C');
    });
  });
});
