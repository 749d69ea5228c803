import { expect } from 'chai';
import fc from 'fast-check';
import { compilePattern } from '../../src/kinds/pattern.js';
import { RUNS, problemCode, subject, valueOf } from './text-helpers.js';

/** Patterns both engines accept, covering every rewrite of pattern.ts. */
const PATTERNS = [
  '^.$',
  '^.+$',
  '\\s',
  '^\\S+$',
  '^[\\s\\d]+$',
  '^[^\\s]+$',
  '^[a\\S]$',
  '^[\\S]$',
  '\\bfoo\\b',
  '^\\w+\\W?$',
  '^[\\b]$',
  '^\\u00e9$',
  '^\\u{1F600}$',
  '^\\uD83D\\uDE00$',
  '^[\\u0041-\\u005A]+$',
  '^\\cJ$',
  '^\\0$',
  '^\\x41$',
  '^[]$',
  '^[^]$',
  '^[[:a]+$',
  '\\p{Lu}',
  '^\\P{L}+$',
  '\\p{Script=Greek}',
  '\\p{sc=Latin}',
  '\\p{gc=Nd}',
  '^(?<year>\\d{4})-(?:0[1-9]|1[0-2])$',
  'a|b|',
  '^\\/\\.\\*$',
  '^[\\-+]?\\d{1,3}$',
  '^(a+)+$',
];

/** Text weighted towards what the rewrites are about: spaces, line terminators, astral letters. */
const TEXT = fc.string({
  unit: fc.constantFrom(
    'a',
    'A',
    'é',
    'Ω',
    'λ',
    '1',
    ' ',
    '\t',
    '\n',
    '\r',
    '\v',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '\u3000',
    '\b',
    '\0',
    '😀',
    '𝒜',
    '\ud83d',
    '/',
    '.',
    '*',
    '-',
    '[',
    ':',
  ),
  maxLength: 6,
});

describe('kinds/pattern', () => {
  it('matches like ECMAScript RegExp (Unicode mode) on every pattern both accept', () => {
    for (const pattern of PATTERNS) {
      const compiled = compilePattern(pattern);
      if (!compiled.ok) expect.fail(`${pattern}: ${compiled.reason}`);
      const js = new RegExp(pattern, 'u');
      fc.assert(
        fc.property(TEXT, (text) => {
          expect(compiled.test(text), `${pattern} on ${JSON.stringify(text)}`).to.equal(js.test(text));
        }),
        RUNS,
      );
    }
  });

  it('checks ^(a+)+$ against 27 a and a ! within 1 s, and 16 MiB of text within 5 s', () => {
    const evil = subject({ type: 'string', pattern: '^(a+)+$' });
    let started = Date.now();
    expect(problemCode(evil.parse('a'.repeat(27) + '!'))).to.equal('BERTH_E_VALUE_CONSTRAINT');
    expect(Date.now() - started).to.be.below(1000);
    started = Date.now();
    expect(problemCode(evil.parse('a'.repeat(16 * 2 ** 20) + '!'))).to.equal('BERTH_E_VALUE_CONSTRAINT');
    expect(Date.now() - started).to.be.below(5000);
    valueOf(evil.parse('a'.repeat(27)));
  });

  it('refuses back-references, look-around and repeats over 1000 as BERTH_E_PATTERN_UNSUPPORTED', () => {
    for (const pattern of [
      '(a)\\1',
      '(?<x>a)\\k<x>',
      '(?=a)',
      '(?!a)b',
      '(?<=a)b',
      '(?<!a)b',
      'a{1001}',
      '[^a\\S]',
    ]) {
      const compiled = compilePattern(pattern);
      expect(compiled.ok, pattern).to.equal(false);
      if (!compiled.ok) expect(compiled.code, pattern).to.equal('BERTH_E_PATTERN_UNSUPPORTED');
    }
  });

  it('refuses what ECMAScript does not compile as BERTH_E_PATTERN_INVALID, RE2-only syntax included', () => {
    for (const pattern of ['([a-z', '\\pL', '(?i)a', '\\z', 'a{,3}', '\\Q.\\E']) {
      const compiled = compilePattern(pattern);
      expect(compiled.ok, pattern).to.equal(false);
      if (!compiled.ok) expect(compiled.code, pattern).to.equal('BERTH_E_PATTERN_INVALID');
    }
  });

  it('refuses a value against a property whose pattern it cannot run, with that code', () => {
    // A property built by hand (the manifest check would have refused the keyword already).
    const plain = subject({ type: 'string' });
    const p = { ...plain.p, keywords: { pattern: '^(a)\\1$' } };
    expect(problemCode(plain.form.parse('aa', p))).to.equal('BERTH_E_PATTERN_UNSUPPORTED');
  });
});
