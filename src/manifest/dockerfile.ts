/**
 * The manifest from a Dockerfile's LABEL instructions, read exactly as Docker (BuildKit) would
 * set them on the image, without building it.
 *
 * ## What Docker does to a LABEL, and where that is written
 * 1. Lines (moby/buildkit `frontend/dockerfile/parser/parser.go`, `Parse`): the file is split at
 *    `\n` only; trailing `\r` are dropped (so CRLF files read the same). An instruction's first
 *    line loses its leading whitespace; a line ending in the escape character (optionally followed
 *    by spaces/tabs) continues on the next line: the escape character and the line break are
 *    removed, nothing else. Continuation lines keep their leading whitespace (which is what lets
 *    YAML indentation survive the EnvoyAI `\n\` style); continuation lines that are comments
 *    (`#` after optional whitespace) or blank are skipped. BuildKit does not treat a line ending
 *    in an *escaped* escape (`\\`) as continued; older builders (openshift/imagebuilder, used by
 *    buildah: `dockerfile/parser/parser.go`) do. berth refuses that ambiguity inside a LABEL.
 * 2. Words (`frontend/dockerfile/parser/line_parsers.go`, `parseNameVal`/`parseWords`): LABEL
 *    takes `key=value` words split at unquoted whitespace, quotes and escapes still in place; if
 *    the first word has no `=`, the legacy `LABEL key value...` form takes the rest of the line as
 *    the value.
 * 3. Quotes and variables (`frontend/dockerfile/shell/lex.go`, `processDoubleQuote`,
 *    `processSingleQuote`, `processDollar`; applied to key and value by `LabelCommand.Expand`):
 *    inside double quotes the escape character is consumed only before `"`, `$` and itself — every
 *    other backslash stays, so `\n` stays the two characters `\` `n`; single quotes keep
 *    everything literally; outside quotes the escape character always escapes the next character.
 *    `$NAME`, `${...}`, `$1`, `$@`... are expanded from ARG/ENV values, which berth cannot know
 *    without building: such a value in a berth LABEL is refused (escape the `$` as `\$`). A `$`
 *    followed by anything else is kept.
 *
 * ## Decisions
 * - Stages: the labels of the final stage, plus those of earlier stages it is built `FROM` (by
 *   stage name, recursively), as Docker inherits them. Labels inherited from an external base
 *   image are invisible here; read the built image with `docker inspect` for those.
 *   `ONBUILD LABEL` is ignored (it applies to images built from this one).
 * - A file without any FROM is read as a fragment (what `berth labels` prints): all its LABELs count.
 *   With FROMs, a berth LABEL before the first FROM is an error, as it is for Docker.
 * - The same label set twice in one stage: the last wins (as in Docker), with a
 *   BERTH_E_LABEL_DUPLICATE warning.
 * - The `dockerfile-ast` package was evaluated and is not used for values: its `Property.getValue()`
 *   keeps `\$` (Docker gives `$`), does not remove quotes in the legacy `LABEL key "a b"` form,
 *   treats a lone `\r` as a line break (Docker does not), does not treat a continuation line that
 *   starts with a non-ASCII space and `#` as a comment, and continues after `\\`. It gets `\"`,
 *   `\\`, `\n`, `\n\` continuations, comments inside continuations, CRLF, single quotes, multiple
 *   pairs per LABEL and `# escape=` right. The scanner below follows BuildKit instead, with a
 *   source line for every character.
 */
import { BerthError, finding, type Finding } from '../errors.js';
import { EXTENSION_LABEL_PREFIX, LABEL_PREFIX, type ManifestSource } from './document.js';
import { documentFromLabels, type LabelText } from './label-value.js';

/** The escape characters Docker accepts in `# escape=`. */
export type EscapeToken = '\\' | '`';

/** One LABEL as Docker sets it on the image. */
export interface DockerfileLabel extends LabelText {
  /** The label value exactly as Docker stores it in the image config. */
  value: string;
  /** 1-based line where the label's name is written. */
  line: number;
  /** 1-based source line of every UTF-16 unit of {@link value}. */
  valueLines: readonly number[];
}

/** The berth-relevant labels of a Dockerfile's final image. */
export interface DockerfileLabels {
  /** Label name (`com.envoyai.info`, `org.berth.berth`) → value, in the order Docker sets them. */
  labels: Map<string, DockerfileLabel>;
  /** Warnings (duplicates). */
  findings: Finding[];
  /** The file's escape character (`# escape=` directive; `\` by default). */
  escapeToken: EscapeToken;
}

/** A manifest read from a Dockerfile, with the warnings found while reading it. */
export interface DockerfileManifest extends ManifestSource {
  findings: Finding[];
}

/** Docker reads lines with Go's bufio.Scanner: longer lines make the build fail. */
const MAX_LINE_BYTES = 64 * 1024 - 1;

/** Go's unicode.IsSpace (Docker trims and splits with it). */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
/** Go's `[\t\v\f\r ]+` (Docker's reWhitespace/tokenWhitespace). */
const TOKEN_WHITESPACE = /[\t\v\f\r ]+/;
/** BuildKit's parser directive line. */
const DIRECTIVE = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const HEREDOC = /^(\d*)<<(-?)([^<]*)$/;

function isGoSpace(c: string | undefined): boolean {
  return c !== undefined && GO_SPACE.test(c);
}

/** Text with the 1-based source line of every UTF-16 unit. */
export interface Located {
  text: string;
  lines: number[];
}

function slice(l: Located, start: number, end = l.text.length): Located {
  return { text: l.text.slice(start, end), lines: l.lines.slice(start, end) };
}

/** One instruction after line joining. */
export interface Instruction {
  keyword: string;
  args: Located;
  line: number;
  /** A line inside it ended in an escaped escape character (builders disagree on it). */
  ambiguousLine?: number;
}

/** Splits a Dockerfile into instructions the way BuildKit's parser does. */
export function scanInstructions(
  text: string,
  path: string,
): { instructions: Instruction[]; escape: EscapeToken } {
  const lines = text.split('\n');
  if (lines[0]?.startsWith('\ufeff')) lines[0] = lines[0].slice(1);
  let escape: EscapeToken = '\\';
  let directivesDone = false;
  const seenDirectives = new Set<string>();
  const syntax = (message: string, line: number): BerthError =>
    new BerthError('BERTH_E_DOCKERFILE_SYNTAX', message, { path, line });
  const rawLine = (i: number): string => {
    const line = lines[i] ?? '';
    if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) {
      throw syntax(`The line is longer than Docker accepts (${MAX_LINE_BYTES} bytes)`, i + 1);
    }
    return line.replace(/[\r\n]+$/, '');
  };
  const directive = (line: string, lineNo: number): void => {
    if (directivesDone) return;
    const m = DIRECTIVE.exec(line);
    const name = m?.[1]?.toLowerCase();
    if (!m || name === undefined || !['escape', 'syntax', 'check'].includes(name)) {
      directivesDone = true;
      return;
    }
    if (seenDirectives.has(name)) throw syntax(`Only one ${name} parser directive can be used`, lineNo);
    seenDirectives.add(name);
    if (name === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`')
        throw syntax(`Invalid escape token '${m[2] ?? ''}': must be \` or \\`, lineNo);
      escape = m[2];
    }
  };

  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = rawLine(i);
    const first = raw.slice(leadingSpace(raw));
    directive(first, i + 1);
    const head = trimContinuation(first.startsWith('#') ? '' : first, escape);
    if (!head.continues && head.text === '') continue;
    const startLine = i + 1;
    const joined: Located = { text: head.text, lines: new Array<number>(head.text.length).fill(startLine) };
    let ambiguousLine = head.ambiguous && i + 1 < lines.length ? startLine : undefined;
    let continues = head.continues;
    while (continues && i + 1 < lines.length) {
      i++;
      const next = rawLine(i);
      const trimmed = next.slice(leadingSpace(next));
      if (trimmed.startsWith('#') || trimmed === '') continue;
      const part = trimContinuation(next, escape);
      joined.text += part.text;
      for (let k = 0; k < part.text.length; k++) joined.lines.push(i + 1);
      if (part.ambiguous && i + 1 < lines.length) ambiguousLine ??= i + 1;
      continues = part.continues;
    }
    const instruction = splitCommand(joined, startLine);
    if (instruction === undefined) continue;
    if (ambiguousLine !== undefined) instruction.ambiguousLine = ambiguousLine;
    instructions.push(instruction);
    i = skipHeredocs(instruction, lines, i, escape, rawLine, syntax);
  }
  return { instructions, escape };
}

function leadingSpace(s: string): number {
  let n = 0;
  while (n < s.length && isGoSpace(s[n])) n++;
  return n;
}

/**
 * BuildKit's `([^E])E[ \t]*$|^E[ \t]*$`: a final escape character continues the line unless it
 * is itself escaped; that last case is flagged because older builders do continue it.
 */
function trimContinuation(
  line: string,
  escape: string,
): { text: string; continues: boolean; ambiguous: boolean } {
  const body = line.replace(/[ \t]+$/, '');
  if (!body.endsWith(escape)) return { text: line, continues: false, ambiguous: false };
  if (body.length >= 2 && body[body.length - 2] === escape)
    return { text: line, continues: false, ambiguous: true };
  return { text: body.slice(0, -1), continues: true, ambiguous: false };
}

/** BuildKit's splitCommand: keyword, then the arguments with surrounding whitespace trimmed. */
function splitCommand(joined: Located, line: number): Instruction | undefined {
  let start = 0;
  let end = joined.text.length;
  while (start < end && isGoSpace(joined.text[start])) start++;
  while (end > start && isGoSpace(joined.text[end - 1])) end--;
  if (start === end) return undefined;
  const body = slice(joined, start, end);
  const m = TOKEN_WHITESPACE.exec(body.text);
  const keyword = (m ? body.text.slice(0, m.index) : body.text).toLowerCase();
  let args = m ? slice(body, m.index + m[0].length) : { text: '', lines: [] };
  let a = 0;
  let b = args.text.length;
  while (a < b && isGoSpace(args.text[a])) a++;
  while (b > a && isGoSpace(args.text[b - 1])) b--;
  args = slice(args, a, b);
  return { keyword, args, line };
}

/** Skips the bodies of `RUN <<EOF` style heredocs, so their lines are not read as instructions. */
function skipHeredocs(
  instruction: Instruction,
  lines: readonly string[],
  i: number,
  escape: EscapeToken,
  rawLine: (i: number) => string,
  syntax: (message: string, line: number) => BerthError,
): number {
  let { keyword, args } = instruction;
  if (keyword === 'onbuild') {
    const m = TOKEN_WHITESPACE.exec(args.text);
    keyword = (m ? args.text.slice(0, m.index) : args.text).toLowerCase();
    args = m ? slice(args, m.index + m[0].length) : { text: '', lines: [] };
  }
  if (!['run', 'copy', 'add'].includes(keyword) || isJsonForm(args.text)) return i;
  for (const word of parseWords(args, escape)) {
    const m = HEREDOC.exec(word.text);
    if (!m?.[3]) continue;
    const lexed = lexWord({ text: m[3], lines: [] }, escape, true);
    const name = 'value' in lexed ? lexed.value.text : m[3];
    const chomp = m[2] === '-';
    for (;;) {
      i++;
      if (i >= lines.length) throw syntax(`Unterminated heredoc <<${name}`, instruction.line);
      const candidate = chomp ? rawLine(i).replace(/^\t+/, '') : rawLine(i);
      if (candidate === name) break;
    }
  }
  return i;
}

function isJsonForm(args: string): boolean {
  if (!args.trimStart().startsWith('[')) return false;
  try {
    const v: unknown = JSON.parse(args);
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
}

/**
 * BuildKit's parseWords: splits at unquoted whitespace; quotes and escape characters stay in the
 * words (they are removed later by the shell lexer).
 */
function parseWords(rest: Located, escape: string): Located[] {
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
interface RawPair {
  key: Located;
  value: Located;
}

/** BuildKit's parseNameVal (plus parseKvps' checks) for LABEL. */
function parseLabelPairs(args: Located, escape: string): RawPair[] | string {
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

type Lexed = { value: Located } | { expansion: string } | { error: string };

/**
 * BuildKit's shell lexer (`ProcessWord`) for one word: removes quotes and escape characters.
 * Variable references are not expanded: they are reported (`expansion`), unless `literalDollar`.
 */
function lexWord(w: Located, escape: string, literalDollar = false): Lexed {
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

function isBerthLabel(name: string): boolean {
  return name.startsWith(LABEL_PREFIX) || name.startsWith(EXTENSION_LABEL_PREFIX);
}

interface Stage {
  name?: string;
  base: string;
  labels: Instruction[];
}

/**
 * The berth-relevant LABELs (`com.envoyai.*`, `org.berth.*`) of the image a Dockerfile builds,
 * with their values exactly as Docker would store them, and duplicate warnings.
 *
 * @throws BerthError BERTH_E_DOCKERFILE_SYNTAX for what Docker would refuse to build (in berth's
 *   LABELs), BERTH_E_LABEL_VALUE for a berth LABEL value that uses build-time variables.
 */
export function loadDockerfileLabels(text: string, path: string): DockerfileLabels {
  const { instructions, escape } = scanInstructions(text, path);
  const preamble: Stage = { base: '', labels: [] };
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'from') {
      const words = ins.args.text.split(TOKEN_WHITESPACE).filter((w) => w !== '' && !w.startsWith('--'));
      const name =
        words.length === 3 && words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
      stages.push({ base: (words[0] ?? '').toLowerCase(), labels: [], ...(name ? { name } : {}) });
    } else if (ins.keyword === 'label') {
      (stages[stages.length - 1] ?? preamble).labels.push(ins);
    }
  }

  const findings: Finding[] = [];
  const labels = new Map<string, DockerfileLabel>();
  const readStage = (stage: Stage, misplaced: boolean): void => {
    const seen = new Map<string, number>();
    for (const ins of stage.labels) {
      for (const label of readLabelInstruction(ins, escape, path)) {
        if (misplaced) {
          throw new BerthError(
            'BERTH_E_DOCKERFILE_SYNTAX',
            `LABEL ${label.name} comes before the first FROM`,
            {
              path,
              line: label.line,
              expected: 'LABEL instructions after FROM',
            },
          );
        }
        const earlier = seen.get(label.name);
        if (earlier !== undefined) {
          findings.push(
            finding(
              'BERTH_E_LABEL_DUPLICATE',
              `LABEL ${label.name} is set again (first on line ${earlier}); Docker keeps this last value`,
              { severity: 'warning', path, line: label.line },
            ),
          );
        }
        seen.set(label.name, label.line);
        labels.delete(label.name);
        labels.set(label.name, { value: label.value, line: label.line, valueLines: label.valueLines });
      }
    }
  };
  if (stages.length === 0) readStage(preamble, false);
  else {
    readStage(preamble, true);
    for (const stage of stageChain(stages)) readStage(stage, false);
  }
  return { labels, findings, escapeToken: escape };
}

/** The final stage and the earlier stages it is built FROM, ancestors first. */
function stageChain(stages: readonly Stage[]): Stage[] {
  const chain: Stage[] = [];
  let index = stages.length - 1;
  while (index >= 0) {
    const stage = stages[index];
    if (stage === undefined) break;
    chain.unshift(stage);
    const base = stage.base;
    let parent = -1;
    for (let j = index - 1; j >= 0; j--) {
      if (stages[j]?.name === base) {
        parent = j;
        break;
      }
    }
    index = parent;
  }
  return chain;
}

/** The berth-relevant labels one LABEL instruction sets, in order. */
function readLabelInstruction(
  ins: Instruction,
  escape: string,
  path: string,
): Array<{ name: string; value: string; line: number; valueLines: number[] }> {
  const pairs = parseLabelPairs(ins.args, escape);
  if (typeof pairs === 'string') {
    // Docker refuses the whole file; berth only cares when the instruction could hold its labels.
    if (!ins.args.text.includes(LABEL_PREFIX) && !ins.args.text.includes(EXTENSION_LABEL_PREFIX)) return [];
    throw new BerthError('BERTH_E_DOCKERFILE_SYNTAX', pairs, { path, line: ins.line });
  }
  const out: Array<{ name: string; value: string; line: number; valueLines: number[] }> = [];
  for (const pair of pairs) {
    const key = lexWord(pair.key, escape);
    // A label name built from variables cannot be known without building; it is not one of berth's.
    if (!('value' in key) || !isBerthLabel(key.value.text)) continue;
    const name = key.value.text;
    const line = key.value.lines[0] ?? ins.line;
    if (ins.ambiguousLine !== undefined) {
      throw new BerthError(
        'BERTH_E_DOCKERFILE_SYNTAX',
        `A line of LABEL ${name} ends in an escaped escape character (${escape}${escape}): BuildKit ends the ` +
          'instruction there, older builders (buildah, the classic builder) continue it on the next line',
        {
          path,
          line: ins.ambiguousLine,
          expected: 'a LABEL that does not end a line with a doubled escape character',
        },
      );
    }
    const value = lexWord(pair.value, escape);
    if ('error' in value) {
      throw new BerthError('BERTH_E_DOCKERFILE_SYNTAX', `LABEL ${name}: ${value.error}`, { path, line });
    }
    if ('expansion' in value) {
      throw new BerthError(
        'BERTH_E_LABEL_VALUE',
        `LABEL ${name} uses the build-time variable ${value.expansion}, whose value berth cannot know ` +
          'without building the image',
        {
          path,
          line,
          property: name,
          expected: `a literal value (write a literal $ as ${escape}$), or docker inspect of the built image`,
        },
      );
    }
    out.push({ name, value: value.value.text, line, valueLines: value.value.lines });
  }
  return out;
}

/**
 * The manifest document from a Dockerfile's LABELs: `com.envoyai.<key>` → `<key>`,
 * `org.berth.berth` → `berth`, each value decoded by `decodeLabelValue`. `lineOf` gives the
 * Dockerfile line of each key and of every node inside a YAML value.
 *
 * @throws BerthError BERTH_E_NO_LABELS when the final image has no `com.envoyai.*` LABEL, and the
 *   errors of {@link loadDockerfileLabels} and of label decoding.
 */
export function manifestFromDockerfile(text: string, path: string): DockerfileManifest {
  const { labels, findings } = loadDockerfileLabels(text, path);
  const doc = documentFromLabels(labels, path);
  return {
    document: doc.document,
    path,
    format: 'dockerfile',
    lineOf: doc.lineOf,
    findings: [...findings, ...doc.findings],
  };
}
