/**
 * `berth exec`: the entrypoint of berth's base image. Inside a machine's container it stands
 * between the platform and the machine's own command: it checks the inputs against the manifest
 * baked into the image, runs the command as a child, then checks the outputs — and says why in
 * `/envoyai/status/error` when anything fails, with the harness's outcome codes as exit codes.
 *
 * It enforces nothing the platform enforces itself: no timeout, no cap on stdout/stderr (the
 * child inherits both streams, so its output reaches the platform byte for byte and unbuffered).
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isBerthError, type Finding } from '../errors.js';
import { loadMachine, type MachineDefinition } from '../check/manifest.js';
import { readRegularFile } from '../tree/open-regular.js';
import { INSIDE } from './drivers/inside.js';
import { exitCodeOf, type Outcome } from './outcome.js';
import { checkOutputs } from './run/collect.js';
import { runChild, SignalRelay, withInputCopy } from './run/exec-launch.js';
import { checkInputs } from './run/preflight.js';
import { describeFinding, finalVerdict, verdict, type RunFacts } from './run/verdict.js';

export { FORWARDED_SIGNALS } from './run/exec-launch.js';

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
interface ExecVerdict {
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
  let decided: ExecVerdict;
  try {
    decided = await steps(options, roots, signals, log);
  } catch (e) {
    // A bug in berth itself: the platform still gets a reason and a failing exit code.
    decided = { outcome: 'machine-error', reason: `berth exec failed unexpectedly: ${why(e)}` };
  } finally {
    signals.close();
  }
  const { outcome, reason } = decided;
  const findings = decided.findings ?? [];
  let statusError: ExecResult['statusError'] = 'none';
  if (decided.machineWrote) statusError = 'machine';
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
    ...(decided.machine ? { machine: decided.machine } : {}),
  };
}

/** The steps of {@link execMachine}: manifest, inputs, machine, outputs, each judged by the run's verdict. */
async function steps(
  options: ExecOptions,
  roots: ExecRoots,
  signals: SignalRelay,
  log: (line: string) => void,
): Promise<ExecVerdict> {
  const errorFile = path.join(roots.status, 'error');
  if (options.command.length === 0) {
    return {
      outcome: 'machine-error',
      reason:
        'The image has no command to run: set CMD in its Dockerfile (e.g. CMD ["node", "dist/main.js"])',
    };
  }
  const definition = await imageManifest(roots);
  if ('outcome' in definition) return definition;

  // The inputs: constraints the machine declares (not applicable) or broken data (invalid).
  const facts: RunFacts = { statusFile: errorFile };
  try {
    facts.inputFindings = await checkInputs(definition, roots.input);
  } catch (e) {
    return { outcome: 'invalid-input', reason: `The input tree cannot be read: ${why(e)}` };
  }
  const refused = verdict(facts);
  if (refused) return refused;

  // The machine, as a child with berth's own streams.
  if (signals.received) {
    return {
      outcome: 'killed',
      reason: `berth exec was stopped by ${signals.received} before the machine started`,
    };
  }
  const env = options.env ?? process.env;
  const ran = await withInputCopy(roots.input, env, options.writableInput === true, log, (e) =>
    runChild(options.command, e, signals),
  );
  if ('error' in ran)
    return finalVerdict({ launchError: { message: ran.error, command: options.command[0] } });
  const machine = { code: ran.code, signal: ran.signal };
  const own = await readStatusError(errorFile);
  const machineWrote = own !== undefined && own.trim() !== '';
  if (machineWrote) facts.statusError = own;
  facts.process = { ...machine, ...(ran.forwarded ? { forwarded: ran.forwarded } : {}) };
  const failed = verdict(facts);
  if (failed) return { ...failed, machine, machineWrote };

  // The outputs, with the input UIDs for the DICOM output rules.
  try {
    facts.outputFindings = await checkOutputs(definition, roots.output, roots.input);
  } catch (e) {
    return { outcome: 'invalid-output', reason: `The output tree cannot be read: ${why(e)}`, machine };
  }
  for (const w of facts.outputFindings.filter((f) => f.severity === 'warning'))
    log(`warning: ${describeFinding(w)}`);
  const ended = finalVerdict(facts);
  // Invalid outputs are berth's to explain, over whatever the machine wrote.
  return { ...ended, machine, machineWrote: machineWrote && ended.outcome !== 'invalid-output' };
}

/** The manifest baked into the image, or the verdict that it cannot be used. */
async function imageManifest(roots: ExecRoots): Promise<MachineDefinition | ExecVerdict> {
  const manifest =
    roots.manifestFallback && !(await exists(roots.manifest)) && (await exists(roots.manifestFallback))
      ? roots.manifestFallback
      : roots.manifest;
  try {
    return await loadMachine(manifest);
  } catch (e) {
    return {
      outcome: 'machine-error',
      reason: `The image's manifest ${manifest} cannot be used (the Dockerfile should COPY machine.yaml ${INSIDE.manifest}): ${why(e)}`,
    };
  }
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
