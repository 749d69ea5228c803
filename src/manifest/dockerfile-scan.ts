/**
 * A Dockerfile split into instructions the way BuildKit's parser does: parser directives
 * (`# escape=`), line continuations, comments inside them, heredocs, with source lines. See
 * ./dockerfile.ts for what Docker does and where it is written.
 */
import { BerthError } from '../errors.js';
import { isGoSpace, lexWord, parseWords, slice, TOKEN_WHITESPACE, type Located } from './dockerfile-lex.js';

/** The escape characters Docker accepts in `# escape=`. */
export type EscapeToken = '\\' | '`';

/** Docker reads lines with Go's bufio.Scanner: longer lines make the build fail. */
const MAX_LINE_BYTES = 64 * 1024 - 1;

/** BuildKit's parser directive line. */
const DIRECTIVE = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const HEREDOC = /^(\d*)<<(-?)([^<]*)$/;

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
