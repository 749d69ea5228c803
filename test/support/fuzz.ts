/**
 * The fuzz runner shared by the `*.fuzz.test.ts` suites: one property for every decoder of
 * untrusted bytes — each input either decodes or throws a BerthError with a catalogued code, never
 * another exception, never a wrapped programming error, never a process warning, never past a time
 * bound, never raising the process's peak memory by more than 256 MiB.
 *
 * In `npm test` every target runs a few hundred cases from a fixed seed (a few seconds in all).
 * `npm run fuzz` sets BERTH_FUZZ_LONG=1: a random seed (printed) unless BERTH_FUZZ_SEED is given,
 * and BERTH_FUZZ_RUNS cases per target (default 10 × the quick count). A failure writes
 * `fuzz-out/<target>.<seed>.json` (and the raw `.bin`) and prints how to replay it: the same seed
 * and fast-check path, or BERTH_FUZZ_REPLAY=<that .json file>. An input that hangs the decoder
 * (BERTH_FUZZ_HANG_MS, default 30 s) is saved by ./fuzz-watchdog.ts as `<target>.hang.json`.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CATALOGUE, isBerthError } from '../../src/errors.js';
import { watchdog } from './fuzz-watchdog.js';
import { ROOT } from './paths.js';

/** One fuzz input: the bytes, and which variant of the target reads them (a schema, an API). */
export interface FuzzCase {
  readonly bytes: Uint8Array;
  readonly variant: string;
}

/** A decoder under fuzz. */
export interface FuzzTarget {
  /** A file-name-safe id, such as `wire-json`. */
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<FuzzCase>;
  /** Decodes one input; whatever it returns is ignored, what it throws is judged. */
  readonly run: (c: FuzzCase) => unknown;
  /** Cases in `npm test`. */
  readonly quickRuns: number;
  /** The time one input may take (default 2 s: a bound against hangs, not a speed test). */
  readonly boundMs?: number;
  /**
   * Messages of BerthErrors that wrap a library's own parse error on purpose (msgpackr reports a
   * truncated value as a RangeError of its DataView): judged by their code only.
   */
  readonly libraryErrors?: RegExp;
}

const env = process.env;
const LONG = env['BERTH_FUZZ_LONG'] === '1';
// Mocha may evaluate this module twice (a CommonJS attempt, then ESM): a random seed is drawn
// once and kept in the environment, so both copies and every target use it.
if (LONG && !env['BERTH_FUZZ_SEED']) {
  env['BERTH_FUZZ_SEED'] = String((Date.now() ^ (Math.random() * 0x7fffffff)) >>> 1);
}
/** The seed of every target of this process. */
export const FUZZ_SEED = env['BERTH_FUZZ_SEED'] ? Number.parseInt(env['BERTH_FUZZ_SEED'], 10) : 20261202;

/** One input running longer than this is a hang: the watchdog saves it and ends the process. */
const HANG_MS = Number.parseInt(env['BERTH_FUZZ_HANG_MS'] ?? '30000', 10);

/** The peak RSS one input of a few KB may add (inputs are small; the bound is against amplification). */
const MAX_GROWTH_MIB = 256;

function runsOf(target: FuzzTarget): number {
  const given = env['BERTH_FUZZ_RUNS'] ? Number.parseInt(env['BERTH_FUZZ_RUNS'], 10) : undefined;
  return given ?? (LONG ? target.quickRuns * 10 : target.quickRuns);
}

// Texts of engine errors (TypeError, RangeError) and Node's bounds checks: a decoder that lets one
// through, even wrapped in a BerthError, has a bug its own checks should have caught.
const ENGINE_TEXT =
  /Cannot (read|set) propert|is not a function|is not iterable|is not defined|is not a constructor|(undefined|null) is not (a function|an object|iterable)|Maximum call stack|Invalid (typed )?array length|The value of "\w+" is out of range|outside (the )?buffer bounds|outside the bounds/;

function causeProblem(e: unknown): string | undefined {
  let cause = (e as { cause?: unknown }).cause;
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    const code = (cause as { code?: unknown }).code;
    if ((cause instanceof TypeError || cause instanceof ReferenceError) && code === undefined) {
      return `wraps a ${cause.name}: ${cause.message}`;
    }
    if (code === 'ERR_OUT_OF_RANGE' || code === 'ERR_BUFFER_OUT_OF_BOUNDS') {
      return `wraps ${code}: ${(cause as Error).message}`;
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

function berthErrorProblem(e: { code: unknown; message: string }, library?: RegExp): string | undefined {
  if (typeof e.code !== 'string' || !Object.hasOwn(CATALOGUE, e.code)) {
    return `a BerthError with the uncatalogued code ${String(e.code)}`;
  }
  if (e.code === 'BERTH_E_INTERNAL') return `BERTH_E_INTERNAL: ${e.message}`;
  if (library?.test(e.message)) return undefined;
  if (ENGINE_TEXT.test(e.message)) return `${e.code} carrying an engine error: ${e.message}`;
  return causeProblem(e);
}

/**
 * Why a thrown value breaks the property, or undefined when it is a BerthError with a catalogued
 * code (and so is every problem a WireDecodeError lists).
 */
export function thrownProblem(e: unknown, library?: RegExp): string | undefined {
  if (!isBerthError(e)) {
    const name = e instanceof Error ? e.constructor.name : typeof e;
    return `threw ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  const own = berthErrorProblem(e, library);
  if (own) return own;
  const problems = (e as { problems?: unknown }).problems;
  if (Array.isArray(problems)) {
    for (const p of problems) {
      const problem = isBerthError(p) ? berthErrorProblem(p, library) : `a problem that is not a BerthError`;
      if (problem) return `problem ${JSON.stringify(p?.path)}: ${problem}`;
    }
  }
  return undefined;
}

/** Runs one case and fails (an Error with the reason) unless it passes the property. */
// Warnings a library prints on stderr (process.emitWarning) reach the user's terminal: a decoder
// should turn what causes them into a finding or an error.
const warnings: string[] = [];
let listening = false;
function listenForWarnings(): void {
  if (listening) return;
  listening = true;
  process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
}

/** Judges one case: returns how it ended (`decoded` or the code), throws when it broke the property. */
async function judge(target: FuzzTarget, c: FuzzCase): Promise<string> {
  const bound = target.boundMs ?? 2000;
  listenForWarnings();
  warnings.length = 0;
  const peakBefore = process.resourceUsage().maxRSS;
  const start = performance.now();
  let problem: string | undefined;
  let outcome = 'decoded';
  try {
    await target.run(c);
  } catch (e) {
    problem = thrownProblem(e, target.libraryErrors);
    outcome = String((e as { code?: unknown }).code);
  }
  const elapsed = performance.now() - start;
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  if (problem === undefined && warnings.length > 0) problem = `emitted a process warning: ${warnings[0]}`;
  if (problem === undefined && elapsed > bound)
    problem = `took ${Math.round(elapsed)} ms (bound ${bound} ms)`;
  // Peak RSS only grows: a jump in one case is memory taken in proportion to a claimed length.
  const grownMiB = (process.resourceUsage().maxRSS - peakBefore) / 1024;
  if (problem === undefined && grownMiB > MAX_GROWTH_MIB) {
    problem = `raised the peak RSS by ${Math.round(grownMiB)} MiB (bound ${MAX_GROWTH_MIB} MiB)`;
  }
  if (problem !== undefined) throw new Error(problem);
  return outcome;
}

interface Saved {
  target: string;
  variant: string;
  seed: number;
  path?: string;
  base64: string;
}

/** Where inputs are saved: BERTH_FUZZ_OUT, default `fuzz-out` in the repository. */
function outDir(): string {
  const dir = path.resolve(ROOT, env['BERTH_FUZZ_OUT'] ?? 'fuzz-out');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function save(file: string, saved: Saved): void {
  writeFileSync(file, `${JSON.stringify(saved, null, 1)}\n`);
}

function report(target: FuzzTarget, c: FuzzCase, seed: number, fcPath: string, error: unknown): string {
  const base = path.join(outDir(), `${target.name}.${seed}`);
  save(`${base}.json`, {
    target: target.name,
    variant: c.variant,
    seed,
    path: fcPath,
    base64: Buffer.from(c.bytes).toString('base64'),
  });
  writeFileSync(`${base}.bin`, c.bytes);
  const shown = Buffer.from(c.bytes.subarray(0, 512));
  return [
    `${target.name} (${c.variant}): ${(error as Error)?.message ?? String(error)}`,
    `input (${c.bytes.length} bytes, saved as ${base}.json and .bin):`,
    `  ${JSON.stringify(shown.toString('latin1'))}${c.bytes.length > 512 ? ' …' : ''}`,
    `replay: BERTH_FUZZ_REPLAY=${base}.json npm run fuzz`,
    `    or: BERTH_FUZZ_ONLY=${target.name} BERTH_FUZZ_SEED=${seed} BERTH_FUZZ_PATH=${fcPath} npm run fuzz`,
  ].join('\n');
}

/** Runs a saved input (BERTH_FUZZ_REPLAY) when it belongs to `target`. */
async function replay(target: FuzzTarget, file: string): Promise<void> {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
  if (saved.target !== target.name) return;
  const c: FuzzCase = { bytes: Buffer.from(saved.base64, 'base64'), variant: saved.variant };
  await judge(target, c).catch((e: unknown) => {
    throw new Error(`${target.name} (${c.variant}) replayed from ${file}: ${(e as Error).message}`);
  });
}

/** Runs the property over `target`'s cases; throws with the saved, shrunk input on a failure. */
export async function fuzz(target: FuzzTarget): Promise<void> {
  const only = env['BERTH_FUZZ_ONLY'];
  if (only && only !== target.name) return;
  const replayFile = env['BERTH_FUZZ_REPLAY'];
  if (replayFile) return replay(target, replayFile);
  const dog = watchdog(HANG_MS, outDir());
  const numRuns = runsOf(target);
  if (LONG) console.log(`fuzz: ${target.name}, ${numRuns} runs, BERTH_FUZZ_SEED=${FUZZ_SEED}`);
  const outcomes = new Map<string, number>();
  const property = fc.asyncProperty(target.arbitrary, async (c) => {
    dog.start(target.name, c.variant, FUZZ_SEED, c.bytes);
    try {
      const outcome = await judge(target, c);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    } finally {
      dog.done();
    }
  });
  const details = await fc.check(property, {
    seed: FUZZ_SEED,
    numRuns,
    ...(env['BERTH_FUZZ_PATH'] ? { path: env['BERTH_FUZZ_PATH'] } : {}),
  });
  if (LONG) {
    const counts = [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
    console.log(`fuzz: ${target.name} outcomes: ${counts.join(', ')}`);
  }
  if (details.failed && details.counterexample) {
    const [c] = details.counterexample;
    expect.fail(report(target, c, details.seed, details.counterexamplePath, details.errorInstance));
  }
  expect(details.failed, details.failed ? 'fast-check stopped without a counterexample' : '').to.equal(false);
}
