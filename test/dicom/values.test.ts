import { expect } from 'chai';
import fc from 'fast-check';
import { decodeString, parseDecimalBytes } from '../../src/dicom/values.js';

/** The decoding the byte parser replaced: text first, then split, trim and Number() (empty: NaN). */
function viaText(text: string): number[] {
  const b = Buffer.from(text, 'latin1');
  const value = decodeString(b, 0, b.length, 'DS', false);
  if (value === '') return [];
  return value.split('\\').map((part) => {
    const t = part.trim();
    return t === '' ? NaN : Number(t);
  });
}

function viaBytes(text: string): number[] {
  const b = Buffer.from(`XX${text}YY`, 'latin1'); // an offset window, as in a header
  return parseDecimalBytes(b, 2, b.length - 2);
}

/** Equal element by element, telling -0 from 0 and matching NaN to NaN. */
function expectSameNumbers(actual: number[], expected: number[], text: string): void {
  expect(actual.length, JSON.stringify(text)).to.equal(expected.length);
  actual.forEach((v, i) =>
    expect(Object.is(v, expected[i]), `${JSON.stringify(text)} [${i}]: ${v} vs ${expected[i]}`).to.equal(
      true,
    ),
  );
}

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

/** DS/IS-like components: signs, digits, points, exponents, padding, and some garbage. */
const component = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('', ' ', '  '),
      fc.constantFrom('', '-', '+'),
      digits(0, 20),
      fc.constantFrom('', '.'),
      digits(0, 20),
      fc.constantFrom('', 'e', 'E', 'e-', 'E+', 'e+0'),
      digits(0, 5),
      fc.constantFrom('', ' ', '  '),
    )
    .map((parts) => parts.join('')),
  fc.constantFrom(
    '',
    ' ',
    '.',
    '-',
    '1e',
    'Infinity',
    '-Infinity',
    'NaN',
    '0x10',
    '1\t',
    '\t2',
    '1\u00002',
    '1 2',
    '٣',
  ),
  fc.double({ noNaN: false }).map(String),
  fc.integer().map(String),
);

describe('dicom/values: decimal strings from bytes', () => {
  it('gives exactly the numbers of text → split → trim → Number for any DS/IS-like value (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(component, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('', ' ', '\u0000'),
        (parts, pad) => {
          const text = parts.join('\\') + pad;
          expectSameNumbers(viaBytes(text), viaText(text), text);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('reads the values of real headers: positions, orientations, spacings, instance numbers', () => {
    for (const text of [
      '-125.5\\-125.5\\-100',
      '1\\0\\0\\0\\1\\0',
      '0.488281\\0.488281',
      '-0.0\\0.000000000000001\\123456789012345',
      '1.2345678901234567\\9007199254740993',
      '  42 ',
      '1e-22\\1e22\\1e-23\\1e23\\5e-324',
      '',
      '   ',
      '1\\',
      '\\',
    ]) {
      expectSameNumbers(viaBytes(text), viaText(text), text);
    }
  });
});
