/**
 * `berth exec`: the entrypoint of berth's base image. Inside a machine's container it stands
 * between the platform and the machine's own command: it checks the inputs against the manifest
 * baked into the image, runs the command as a child, then checks the outputs — and says why in
 * `/envoyai/status/error` when anything fails, with the harness's outcome codes as exit codes.
 *
 * It enforces nothing the platform enforces itself: no timeout, no cap on stdout/stderr (the
 * child inherits both streams, so its output reaches the platform byte for byte and unbuffered).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isBerthError, isNotApplicableCode, type Finding } from '../errors.js';
import { dicomTreeCheck } from '../check/dicom.js';
import { loadMachine, type MachineDefinition } from '../check/manifest.js';
import { checkTree } from '../check/tree.js';
import { readRegularFile } from '../tree/open-regular.js';
import { INSIDE } from './drivers/inside.js';
import { exitCodeOf, type Outcome } from './outcome.js';

/** The signals `berth exec` passes on to the machine (the platform stops containers with SIGTERM). */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** How many findings the status error file lists after its first line. */
const LISTED_FINDINGS = 20;

/** Where `berth exec` finds the trees and the manifest. */
export interface ExecRoots {
  input: string;
  output: string;
  status: string;
  manifest: string;
  /**
   * Read when {@link manifest} does not exist: `machine.yaml` in the working directory (the
   * machine's folder in the image), where the SDK looks too. Absent when BERTH_MANIFEST is set.
   */
  manifestFallback?: string;
}

/**
 * The roots from `BERTH_INPUT`, `BERTH_OUTPUT`, `BERTH_STATUS`, `BERTH_MANIFEST` when set (the
 * harness's drivers and tests set them), else the platform's fixed `/envoyai/...` paths — and,
 * for the manifest, `./machine.yaml` after `/envoyai/machine.yaml`, as the SDK finds it.
 */
export function execRoots(env: NodeJS.ProcessEnv = process.env): ExecRoots {
  const pick = (name: string, fallback: string): string => {
    const v = env[name];
    return v !== undefined && v !== '' ? path.resolve(v) : fallback;
  };
  return {
    input: pick('BERTH_INPUT', INSIDE.input),
    output: pick('BERTH_OUTPUT', INSIDE.output),
    status: pick('BERTH_STATUS', INSIDE.status),
    manifest: pick('BERTH_MANIFEST', INSIDE.manifest),
    ...(env['BERTH_MANIFEST'] ? {} : { manifestFallback: path.resolve('machine.yaml') }),
  };
}

/** Options of {@link execMachine}. */
export interface ExecOptions {
  /** The machine's command (the image's CMD). */
  command: readonly string[];
  roots?: ExecRoots;
  /** The machine's environment (default: berth's own, which the platform set). */
  env?: NodeJS.ProcessEnv;
  /** Where berth's own lines go (default: stderr); the machine's streams never pass through it. */
  log?: (line: string) => void;
  /**
   * `--writable-input`: the machine gets a private writable copy of the input tree in the temp
   * folder, through BERTH_INPUT (the mounted input stays read-only); removed after the run.
   */
  writableInput?: boolean;
}

/** How `berth exec` ended. */
export interface ExecResult {
  outcome: Outcome;
  /** {@link exitCodeOf} the outcome: the process's exit code. */
  exitCode: number;
  reason: string;
  /** Input or output findings behind the outcome (errors and warnings). */
  findings: Finding[];
  /** The machine's exit, when it ran. */
  machine?: { code: number | null; signal: NodeJS.Signals | null };
  /** Who wrote the status error file: berth, the machine, or nobody (passed). */
  statusError: 'berth' | 'machine' | 'none';
}

/** What the steps decided, before the status error file is written. */
interface Verdict {
  outcome: Outcome;
  reason: string;
  findings?: Finding[];
  machine?: { code: number | null; signal: NodeJS.Signals | null };
  /** The machine wrote its own status error file, which berth keeps. */
  machineWrote?: boolean;
}

/**
 * Checks the inputs, runs the machine, checks the outputs. Never throws for anything the
 * manifest, the trees or the machine do: that is the result's outcome, and every outcome but
 * `passed` leaves its reason in the status error file (the machine's own, when it wrote one).
 */
export async function execMachine(options: ExecOptions): Promise<ExecResult> {
  const roots = options.roots ?? execRoots();
  const log = options.log ?? ((line: string) => process.stderr.write(`berth exec: ${line}\n`));
  const errorFile = path.join(roots.status, 'error');
  const signals = new SignalRelay();
  let verdict: Verdict;
  try {
    verdict = await steps(options, roots, signals, log);
  } catch (e) {
    // A bug in berth itself: the platform still gets a reason and a failing exit code.
    verdict = { outcome: 'machine-error', reason: `berth exec failed unexpectedly: ${why(e)}` };
  } finally {
    signals.close();
  }
  const { outcome, reason } = verdict;
  const findings = verdict.findings ?? [];
  let statusError: ExecResult['statusError'] = 'none';
  if (verdict.machineWrote) statusError = 'machine';
  else if (outcome !== 'passed') {
    statusError = 'berth';
    try {
      await mkdir(roots.status, { recursive: true });
      await writeFile(errorFile, statusText(reason, findings));
    } catch (e) {
      log(`cannot write ${errorFile}: ${(e as Error).message}`);
    }
  }
  log(`${outcome} (exit ${exitCodeOf(outcome)}): ${reason}`);
  return {
    outcome,
    exitCode: exitCodeOf(outcome),
    reason,
    findings,
    statusError,
    ...(verdict.machine ? { machine: verdict.machine } : {}),
  };
}

/** Runs `run` with the machine's environment, pointing BERTH_INPUT at a writable copy when asked. */
async function withInputCopy<T>(
  options: ExecOptions,
  roots: ExecRoots,
  log: (line: string) => void,
  run: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const env = options.env ?? process.env;
  if (!options.writableInput) return run(env);
  const copy = await mkdtemp(path.join(os.tmpdir(), 'berth-input-'));
  try {
    await cp(roots.input, copy, { recursive: true, verbatimSymlinks: true });
    log(`the machine's writable copy of the input is ${copy} (BERTH_INPUT); ${roots.input} stays read-only`);
    return await run({ ...env, BERTH_INPUT: copy });
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

/** The steps of {@link execMachine}: manifest, inputs, machine, outputs. */
async function steps(
  options: ExecOptions,
  roots: ExecRoots,
  signals: SignalRelay,
  log: (line: string) => void,
): Promise<Verdict> {
  const errorFile = path.join(roots.status, 'error');
  if (options.command.length === 0) {
    return {
      outcome: 'machine-error',
      reason:
        'The image has no command to run: set CMD in its Dockerfile (e.g. CMD ["node", "dist/main.js"])',
    };
  }

  // 1. The manifest baked into the image.
  let definition: MachineDefinition;
  const manifest =
    roots.manifestFallback && !(await exists(roots.manifest)) && (await exists(roots.manifestFallback))
      ? roots.manifestFallback
      : roots.manifest;
  try {
    definition = await loadMachine(manifest);
  } catch (e) {
    return {
      outcome: 'machine-error',
      reason: `The image's manifest ${manifest} cannot be used (the Dockerfile should COPY machine.yaml ${INSIDE.manifest}): ${why(e)}`,
    };
  }

  // 2. The inputs: constraints the machine declares (not applicable) or broken data (invalid).
  let inputFindings: Finding[];
  try {
    inputFindings = await checkTree(definition, 'in', roots.input, { dicom: dicomTreeCheck() });
  } catch (e) {
    return { outcome: 'invalid-input', reason: `The input tree cannot be read: ${why(e)}` };
  }
  const inputErrors = inputFindings.filter((f) => f.severity === 'error');
  const broken = inputErrors.filter((f) => !isNotApplicableCode(f.code));
  if (broken.length > 0) {
    return {
      outcome: 'invalid-input',
      reason: `${broken.length} input problem(s); the machine was not started. First: ${describe(broken[0]!)}`,
      findings: broken,
    };
  }
  if (inputErrors.length > 0) {
    return {
      outcome: 'not-applicable',
      reason: `The inputs do not meet the machine's constraints; the machine was not started: ${describe(inputErrors[0]!)}`,
      findings: inputErrors,
    };
  }

  // 3. The machine, as a child with berth's own streams.
  if (signals.received) {
    return {
      outcome: 'killed',
      reason: `berth exec was stopped by ${signals.received} before the machine started`,
    };
  }
  const ran = await withInputCopy(options, roots, log, (env) => runChild(options.command, env, signals));
  if ('error' in ran) {
    return {
      outcome: 'machine-error',
      reason: `The machine's command ${options.command[0]} could not be started: ${ran.error}`,
    };
  }
  const machine = { code: ran.code, signal: ran.signal };
  const own = await readStatusError(errorFile);
  const machineWrote = own !== undefined && own.trim() !== '';
  const theirs = machineWrote ? `: ${firstLine(own)}` : '';
  if (ran.signal) {
    const relayed = ran.forwarded ? ` (berth exec passed on ${ran.forwarded})` : '';
    return {
      outcome: 'killed',
      reason: `The machine was killed by ${ran.signal}${relayed}${theirs}`,
      machine,
      machineWrote,
    };
  }
  // Exit 11 is the machine's own "my outputs are invalid" (the SDK's finish()): the output check
  // below gives the outcome and lists the findings, rather than a machine error.
  const saysInvalidOutput = ran.code === exitCodeOf('invalid-output');
  if (ran.code !== 0 && !saysInvalidOutput) {
    return {
      outcome: 'machine-error',
      reason: machineWrote
        ? `The machine exited with code ${ran.code}${theirs}`
        : `The machine exited with code ${ran.code} without writing ${errorFile} (its stderr may say why)`,
      machine,
      machineWrote,
    };
  }
  if (machineWrote && !saysInvalidOutput) {
    return {
      outcome: 'machine-error',
      reason: `The machine reported an error${theirs}`,
      machine,
      machineWrote,
    };
  }

  // 4. The outputs, with the input UIDs for the DICOM output rules.
  let outputFindings: Finding[];
  try {
    outputFindings = await checkTree(definition, 'out', roots.output, {
      dicom: dicomTreeCheck({ inputs: { root: roots.input, properties: definition.inputs } }),
    });
  } catch (e) {
    return { outcome: 'invalid-output', reason: `The output tree cannot be read: ${why(e)}`, machine };
  }
  for (const w of outputFindings.filter((f) => f.severity === 'warning')) log(`warning: ${describe(w)}`);
  const outputErrors = outputFindings.filter((f) => f.severity === 'error');
  if (outputErrors.length > 0) {
    return {
      outcome: 'invalid-output',
      reason: `${outputErrors.length} output problem(s). First: ${describe(outputErrors[0]!)}`,
      findings: outputErrors,
      machine,
    };
  }
  if (saysInvalidOutput) {
    return {
      outcome: 'machine-error',
      reason: `The machine exited with code ${ran.code}, yet its outputs are valid${theirs}`,
      machine,
      machineWrote,
    };
  }
  return {
    outcome: 'passed',
    reason: 'The machine exited 0 and its outputs are valid',
    findings: outputFindings,
    machine,
  };
}

/** How the child ended, or why it could not start. */
type ChildEnd =
  { code: number | null; signal: NodeJS.Signals | null; forwarded?: NodeJS.Signals } | { error: string };

/**
 * Catches {@link FORWARDED_SIGNALS} for the whole of `berth exec` and passes them on to the
 * machine while it runs. As PID 1 of a container, these handlers are also what makes the signals
 * reach berth at all (the kernel drops signals PID 1 has no handler for).
 */
class SignalRelay {
  /** The last signal received. */
  received: NodeJS.Signals | undefined;
  private target: ChildProcess | undefined;
  private readonly offs: (() => void)[];

  constructor() {
    this.offs = FORWARDED_SIGNALS.map((signal) => {
      const handler = () => {
        this.received = signal;
        const t = this.target;
        if (t && t.exitCode === null && t.signalCode === null) t.kill(signal);
      };
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
  }

  /** Signals from now on go to `child`. */
  relayTo(child: ChildProcess): void {
    this.target = child;
  }

  close(): void {
    for (const off of this.offs) off();
    this.target = undefined;
  }
}

/** Runs the command with inherited stdio (its bytes never pass through berth), relaying signals. */
function runChild(
  command: readonly string[],
  env: NodeJS.ProcessEnv,
  signals: SignalRelay,
): Promise<ChildEnd> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
    signals.relayTo(child);
    child.once('error', (e: NodeJS.ErrnoException) =>
      resolve({
        error: e.code === 'ENOENT' ? 'not found (is it installed in the image and on PATH?)' : e.message,
      }),
    );
    child.once('exit', (code, signal) =>
      resolve({ code, signal, ...(signals.received ? { forwarded: signals.received } : {}) }),
    );
  });
}

/**
 * The status error file's text (its first MiB), or undefined when there is none, or when it is
 * not a regular file (a symlink, FIFO …: never followed or waited on).
 */
async function readStatusError(file: string): Promise<string | undefined> {
  try {
    return (await readRegularFile(file, { firstBytes: 1024 * 1024 })).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The status error file: the reason on the first line, then the findings behind it, one a line. */
export function statusText(reason: string, findings: readonly Finding[]): string {
  const listed = findings.slice(0, LISTED_FINDINGS).map((f) => `  ${describeFull(f)}`);
  if (findings.length > LISTED_FINDINGS) listed.push(`  … and ${findings.length - LISTED_FINDINGS} more`);
  return [reason, ...listed].join('\n') + '\n';
}

function describe(f: Finding): string {
  return `${f.code}${f.property ? ` ${f.property}` : ''}: ${f.message}`;
}

function describeFull(f: Finding): string {
  const expected = f.expected && !f.message.includes('expected') ? `; expected ${f.expected}` : '';
  return `${f.code}${f.path ? ` ${f.path}` : ''}${f.property ? ` (${f.property})` : ''}: ${f.message}${expected}`;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

function why(e: unknown): string {
  return isBerthError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
}

function firstLine(s: string | undefined): string {
  return (s ?? '').trim().split('\n')[0] ?? '';
}
