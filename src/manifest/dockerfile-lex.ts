/**
 * BuildKit's words and shell lexing for one Dockerfile instruction's arguments, with the source
 * line of every character: splitting at unquoted whitespace (`parseWords`), LABEL's `key=value`
 * pairs, and removing quotes and escape characters (`lexWord`). See ./dockerfile.ts for what
 * Docker does and where it is written.
 */

/** Go's unicode.IsSpace (Docker trims and splits with it). */
export const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
/** Go's `[\t\v\f\r ]+` (Docker's reWhitespace/tokenWhitespace). */
export const TOKEN_WHITESPACE = /[\t\v\f\r ]+/;

export function isGoSpace(c: string | undefined): boolean {
  return c !== undefined && GO_SPACE.test(c);
}

/** Text with the 1-based source line of every UTF-16 unit. */
export interface Located {
  text: string;
  lines: number[];
}

export function slice(l: Located, start: number, end = l.text.length): Located {
  return { text: l.text.slice(start, end), lines: l.lines.slice(start, end) };
}

/**
 * BuildKit's parseWords: splits at unquoted whitespace; quotes and escape characters stay in the
 * words (they are removed later by the shell lexer).
 */
export function parseWords(rest: Located, escape: string): Located[] {
  const words: Located[] = [];
  const s = rest.text;
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let word: Located = { text: '', lines: [] };
  const take = (pos: number): void => {
    word.text += s[pos] ?? '';
    word.lines.push(rest.lines[pos] ?? 0);
  };
  for (let pos = 0; pos <= s.length; pos++) {
    const ch = s[pos];
    if (phase === 'spaces') {
      if (pos === s.length) break;
      if (isGoSpace(ch)) continue;
      phase = 'word';
    }
    if (pos === s.length) {
      if (blankOK || word.text.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.text.length > 0) words.push(word);
        word = { text: '', lines: [] };
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === s.length) continue;
        take(pos);
        pos++;
      }
      take(pos);
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === s.length) {
        phase = 'word';
        continue;
      }
      take(pos);
      pos++;
    }
    take(pos);
  }
  return words;
}

/** One `key=value` of a LABEL instruction, before quote removal. */
export interface RawPair {
  key: Located;
  value: Located;
}

/** BuildKit's parseNameVal (plus parseKvps' checks) for LABEL. */
export function parseLabelPairs(args: Located, escape: string): RawPair[] | string {
  const words = parseWords(args, escape);
  const firstWord = words[0];
  if (firstWord === undefined) return 'LABEL requires at least one argument';
  if (!firstWord.text.includes('=')) {
    const m = TOKEN_WHITESPACE.exec(args.text);
    if (!m) return 'LABEL must have two arguments';
    return [{ key: slice(args, 0, m.index), value: slice(args, m.index + m[0].length) }];
  }
  const pairs: RawPair[] = [];
  for (const word of words) {
    const eq = word.text.indexOf('=');
    if (eq < 0)
      return `Syntax error - can't find = in ${JSON.stringify(word.text)}. Must be of the form: name=value`;
    if (eq === 0) return 'LABEL names can not be blank';
    pairs.push({ key: slice(word, 0, eq), value: slice(word, eq + 1) });
  }
  return pairs;
}

export type Lexed = { value: Located } | { expansion: string } | { error: string };

/**
 * BuildKit's shell lexer (`ProcessWord`) for one word: removes quotes and escape characters.
 * Variable references are not expanded: they are reported (`expansion`), unless `literalDollar`.
 */
export function lexWord(w: Located, escape: string, literalDollar = false): Lexed {
  const s = w.text;
  const out: Located = { text: '', lines: [] };
  const take = (pos: number): void => {
    out.text += s[pos] ?? '';
    out.lines.push(w.lines[pos] ?? w.lines[w.lines.length - 1] ?? 0);
  };
  let i = 0;
  /** At a `$`: the reference text if it is one, else consumes a literal `$`. */
  const dollar = (): string | undefined => {
    const cp = s.codePointAt(i + 1);
    const next = cp === undefined ? '' : String.fromCodePoint(cp);
    if (!literalDollar && (next === '{' || /^[\p{L}\p{Nd}_@*#?$!0-]$/u.test(next))) {
      return s.slice(i, i + 24).split(/[\s"']/)[0] ?? '$';
    }
    take(i);
    i++;
    return undefined;
  };
  while (i < s.length) {
    const c = s[i];
    if (c === '$') {
      const ref = dollar();
      if (ref !== undefined) return { expansion: ref };
    } else if (c === "'") {
      for (i++; ; i++) {
        if (i >= s.length)
          return { error: 'unexpected end of statement while looking for matching single-quote' };
        if (s[i] === "'") break;
        take(i);
      }
      i++;
    } else if (c === '"') {
      for (i++; ;) {
        if (i >= s.length)
          return { error: 'unexpected end of statement while looking for matching double-quote' };
        const d = s[i];
        if (d === '"') break;
        if (d === '$') {
          const ref = dollar();
          if (ref !== undefined) return { expansion: ref };
          continue;
        }
        if (d === escape) {
          const n = s[i + 1];
          if (n === '"' || n === '$' || n === escape) {
            take(i + 1);
            i += 2;
            continue;
          }
          if (n === undefined) {
            i++;
            continue;
          }
        }
        take(i);
        i++;
      }
      i++;
    } else if (c === escape) {
      if (i + 1 >= s.length) break;
      take(i + 1);
      i += 2;
    } else {
      take(i);
      i++;
    }
  }
  return { value: out };
}
