/**
 * The run's verdict: one rule, from what is known about a run to its outcome and the reason in
 * words. `berth run` (and test, serve, batch through it) and the base image's `berth exec` both
 * ask it after each stage; it answers `undefined` while what is known lets the run go on.
 *
 * The order of the rules is the outcomes' precedence: the case, the inputs, the launch, the
 * process (timeout, signal, exit code, the status error file), the outputs, the comparisons.
 * A machine that checks its own outputs (the SDK's `finish()`, `berth exec` as an entrypoint)
 * exits 11 when they are invalid: then the output check gives the outcome and lists the findings.
 */
import { isNotApplicableCode, type Finding } from '../../errors.js';
import { exitCodeOf, type Outcome } from '../outcome.js';
import type { Comparison } from '../types.js';

/** How the machine's process ended. */
export interface ProcessFacts {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when berth stopped the machine at its timeout: the timeout in ms. */
  timedOutAfterMs?: number;
  /** The signal `berth exec` passed on to the machine (it was stopped itself). */
  forwarded?: NodeJS.Signals;
}

/** What is known about a run so far; each stage adds its part. */
export interface RunFacts {
  /** The case could not be materialised into the input tree. */
  caseError?: Finding;
  /** The pre-flight check of the input tree. */
  inputFindings?: readonly Finding[];
  /** Inputs `--deidentify` refuses (burned-in annotations, broken DICOM). */
  deidRefusal?: readonly Finding[];
  /** Why the machine could not be started, with its command's name when berth knows it. */
  launchError?: { message: string; command?: string };
  process?: ProcessFacts;
  /** The status error file's text, when the machine wrote one. */
  statusError?: string;
  /** Where the status error file is, for a reason that names it. */
  statusFile?: string;
  /** The check of the output tree (leak findings of `--deidentify` included). */
  outputFindings?: readonly Finding[];
  /** The comparisons with the expected outputs; absent when the case expects none. */
  comparisons?: readonly Comparison[];
}

/** An outcome, its reason, and the findings behind it (for the status error file). */
export interface Verdict {
  outcome: Outcome;
  reason: string;
  findings: Finding[];
}

/** The verdict the facts so far force, or undefined while the run may go on. */
export function verdict(facts: RunFacts): Verdict | undefined {
  return inputVerdict(facts) ?? processVerdict(facts) ?? outputVerdict(facts);
}

/** The verdict once every stage has run: a run nothing stopped passed, or failed its comparisons. */
export function finalVerdict(facts: RunFacts): Verdict {
  const stopped = verdict(facts);
  if (stopped) return stopped;
  const comparisons = facts.comparisons;
  const findings = [...(facts.outputFindings ?? [])];
  if (comparisons === undefined) return { outcome: 'passed', reason: 'The outputs are valid', findings };
  const failed = comparisons.filter((c) => !c.passed);
  if (failed.length === 0)
    return { outcome: 'passed', reason: `All ${comparisons.length} comparison(s) passed`, findings };
  const first = failed[0]!;
  return {
    outcome: 'failed-compare',
    reason: `${failed.length} of ${comparisons.length} comparison(s) failed, first: ${first.path}${first.message ? ` (${first.message})` : ''}`,
    findings,
  };
}

/** The case, the input check, the de-identification refusal: the machine was not started. */
function inputVerdict(facts: RunFacts): Verdict | undefined {
  if (facts.caseError) {
    const f = facts.caseError;
    return { outcome: inputFault(f), reason: `The case cannot be materialised: ${f.message}`, findings: [f] };
  }
  const errors = (facts.inputFindings ?? []).filter((f) => f.severity === 'error');
  const broken = errors.filter((f) => !isNotApplicableCode(f.code));
  if (broken.length > 0) {
    return {
      outcome: 'invalid-input',
      reason: `${broken.length} input problem(s); the machine was not started. First: ${describeFinding(broken[0]!)}`,
      findings: broken,
    };
  }
  if (errors.length > 0) {
    return {
      outcome: 'not-applicable',
      reason: `The inputs do not meet the machine's constraints; the machine was not started: ${describeFinding(errors[0]!)}`,
      findings: errors,
    };
  }
  const refused = facts.deidRefusal ?? [];
  if (refused.length > 0)
    return { outcome: inputFault(refused[0]!), reason: describeFinding(refused[0]!), findings: [...refused] };
  return undefined;
}

/** The launch and the process: a machine that could not start, ran too long, died or failed. */
function processVerdict(facts: RunFacts): Verdict | undefined {
  if (facts.launchError) {
    const { message, command } = facts.launchError;
    const what = command ? `The machine's command ${command}` : 'The machine';
    return { outcome: 'machine-error', reason: `${what} could not be started: ${message}`, findings: [] };
  }
  const end = facts.process;
  if (!end) return undefined;
  const stop = (outcome: Outcome, reason: string): Verdict => ({ outcome, reason, findings: [] });
  const theirs = statusLine(facts.statusError);
  const said = theirs ? `: ${theirs}` : '';
  if (end.timedOutAfterMs !== undefined) {
    return stop(
      'timeout',
      `The machine ran past its timeout of ${formatMs(end.timedOutAfterMs)} and was stopped`,
    );
  }
  if (end.signal) {
    const why = end.forwarded
      ? ` (berth exec passed on ${end.forwarded})`
      : end.signal === 'SIGKILL'
        ? ' (out of memory?)'
        : '';
    return stop('killed', `The machine was killed by ${end.signal}${why}${said}`);
  }
  if (saysInvalidOutput(end)) return undefined;
  if (end.code !== 0) {
    const silent = facts.statusFile ? ` without writing ${facts.statusFile} (its stderr may say why)` : '';
    return stop('machine-error', `The machine exited with code ${end.code}${theirs ? said : silent}`);
  }
  if (theirs) return stop('machine-error', `The machine reported an error${said}`);
  return undefined;
}

/** The outputs: broken ones, or valid ones from a machine that said they were not. */
function outputVerdict(facts: RunFacts): Verdict | undefined {
  if (facts.outputFindings === undefined) return undefined;
  const errors = facts.outputFindings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    return {
      outcome: 'invalid-output',
      reason: `${errors.length} output problem(s). First: ${describeFinding(errors[0]!)}`,
      findings: errors,
    };
  }
  if (facts.process && saysInvalidOutput(facts.process)) {
    const theirs = statusLine(facts.statusError);
    return {
      outcome: 'machine-error',
      reason: `The machine exited with code ${facts.process.code}, yet its outputs are valid${theirs ? `: ${theirs}` : ''}`,
      findings: [],
    };
  }
  return undefined;
}

/** Exit 11: the machine's own "my outputs are invalid". */
function saysInvalidOutput(end: ProcessFacts): boolean {
  return end.code === exitCodeOf('invalid-output');
}

/** A finding that stops a run before the launch: not applicable, or broken input. */
function inputFault(f: Finding): Outcome {
  return isNotApplicableCode(f.code) ? 'not-applicable' : 'invalid-input';
}

/** The first line of a status error file, or undefined when it says nothing. */
function statusLine(text: string | undefined): string | undefined {
  const line = (text ?? '').trim().split('\n')[0] ?? '';
  return line === '' ? undefined : line;
}

/** A finding in a reason: `CODE property: message`. */
export function describeFinding(f: Finding): string {
  return `${f.code}${f.property ? ` ${f.property}` : ''}: ${f.message}`;
}

/** A duration in words: `90 s`, `10 min`. */
export function formatMs(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 6000) / 10} min`;
}
