/**
 * The Python literal subset of .npy headers: parsed, never evaluated. Accepts what Python's
 * `ast.literal_eval` would for numpy headers: single or double quotes (with `u`/`b` prefixes and
 * backslash escapes), `True`/`False`/`None`, integers (with a Python 2 `L` suffix), tuples such as
 * `()` and `(3,)`, lists, nested dicts, trailing commas and any whitespace.
 */

/** A parsed Python literal. */
export type PyLiteral =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'tuple' | 'list'; items: PyLiteral[] }
  | { t: 'dict'; entries: [PyLiteral, PyLiteral][] };

const MAX_LITERAL_DEPTH = 32;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

/**
 * Parses `text` as a dict literal with string keys, each key once. `fail` makes the error for
 * what was wrong (`what`) at character `at`; it must throw.
 */
export function parsePyDict(text: string, fail: (what: string, at: number) => never): Map<string, PyLiteral> {
  const p = new LiteralParser(text, fail);
  const top = p.value(0);
  p.ws();
  if (p.i !== text.length) p.bad('extra text after the dict');
  if (top.t !== 'dict') return p.bad('the header is not a dict');
  const map = new Map<string, PyLiteral>();
  for (const [k, v] of top.entries) {
    if (k.t !== 'str') p.bad('a key is not a string');
    const key = (k as { v: string }).v;
    if (map.has(key)) p.bad(`duplicate key '${key}'`);
    map.set(key, v);
  }
  return map;
}

class LiteralParser {
  i = 0;

  constructor(
    private readonly text: string,
    private readonly fail: (what: string, at: number) => never,
  ) {}

  bad(what: string): never {
    return this.fail(what, this.i);
  }

  ws(): void {
    while (this.i < this.text.length && /[ \t\r\n\f\v]/.test(this.text[this.i] ?? '')) this.i++;
  }

  value(depth: number): PyLiteral {
    if (depth > MAX_LITERAL_DEPTH) this.bad('nesting too deep');
    this.ws();
    const c = this.text[this.i];
    if (c === undefined) return this.bad('unexpected end');
    if (c === '{') return this.dict(depth);
    if (c === '(' || c === '[') return this.sequence(c, depth);
    if (/[ubUB'"]/.test(c)) return this.str();
    return this.scalar(c);
  }

  private dict(depth: number): PyLiteral {
    const { text } = this;
    this.i++;
    const entries: [PyLiteral, PyLiteral][] = [];
    for (;;) {
      this.ws();
      if (text[this.i] === '}') {
        this.i++;
        return { t: 'dict', entries };
      }
      const k = this.value(depth + 1);
      this.ws();
      if (text[this.i] !== ':') this.bad("expected ':'");
      this.i++;
      entries.push([k, this.value(depth + 1)]);
      this.ws();
      if (text[this.i] === ',') this.i++;
      else if (text[this.i] !== '}') this.bad("expected ',' or '}'");
    }
  }

  private sequence(open: '(' | '[', depth: number): PyLiteral {
    const { text } = this;
    const close = open === '(' ? ')' : ']';
    this.i++;
    const items: PyLiteral[] = [];
    let commas = 0;
    for (;;) {
      this.ws();
      if (text[this.i] === close) {
        this.i++;
        // `(3)` is the integer 3 in Python, not a tuple.
        if (open === '(' && items.length === 1 && commas === 0) return items[0] as PyLiteral;
        return { t: open === '(' ? 'tuple' : 'list', items };
      }
      items.push(this.value(depth + 1));
      this.ws();
      if (text[this.i] === ',') {
        this.i++;
        commas++;
      } else if (text[this.i] !== close) this.bad(`expected ',' or '${close}'`);
    }
  }

  /** `True`, `False`, `None` or an integer. */
  private scalar(c: string): PyLiteral {
    const { text } = this;
    const word = /^(True|False|None)\b/.exec(text.slice(this.i, this.i + 6));
    if (word) {
      this.i += word[1]!.length;
      return word[1] === 'None' ? { t: 'none' } : { t: 'bool', v: word[1] === 'True' };
    }
    const num = /^[-+]?\d+[lL]?/.exec(text.slice(this.i, this.i + 40));
    if (num && !/[\d.eEjJxX_]/.test(text[this.i + num[0].length] ?? '')) {
      this.i += num[0].length;
      return { t: 'int', v: BigInt(num[0].replace(/[lL]$/, '').replace(/^\+/, '')) };
    }
    return this.bad(`unexpected ${JSON.stringify(c)}`);
  }

  private str(): PyLiteral {
    const { text } = this;
    if (/[ubUB]/.test(text[this.i] ?? '')) this.i++;
    const q = text[this.i];
    if (q !== "'" && q !== '"') return this.bad('expected a string');
    this.i++;
    let out = '';
    for (;;) {
      const ch = text[this.i++];
      if (ch === undefined || ch === '\n') return this.bad('unterminated string');
      if (ch === q) return { t: 'str', v: out };
      out += ch === '\\' ? this.escape() : ch;
    }
  }

  /** The character a backslash escape stands for (the backslash already read). */
  private escape(): string {
    const e = this.text[this.i++];
    if (e !== undefined && SIMPLE_ESCAPES[e] !== undefined) return SIMPLE_ESCAPES[e];
    if (e !== 'x' && e !== 'u') return this.bad('bad escape');
    const len = e === 'x' ? 2 : 4;
    const hex = this.text.slice(this.i, this.i + len);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.bad('bad escape');
    this.i += len;
    return String.fromCharCode(parseInt(hex, 16));
  }
}
