import { access, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, isBerthError, type Finding } from '../errors.js';
import { loadMachine, type MachineDefinition } from '../check/manifest.js';
import { inputUidSource } from '../kinds/dicom-property.js';
import { checkTree } from '../check/tree.js';
import { DicomOutputs } from './dicom-writer.js';
import { Inputs } from './inputs.js';
import { Outputs } from './outputs.js';
import { Status } from './status.js';

/** Where a machine finds its manifest and trees. */
export interface MachineOptions {
  /** The manifest; default `BERTH_MANIFEST`, else `/envoyai/machine.yaml`, else `./machine.yaml`. */
  manifest?: string;
  /** Input root; default `BERTH_INPUT`, else `/envoyai/input`. */
  input?: string;
  /** Output root; default `BERTH_OUTPUT`, else `/envoyai/output`. */
  output?: string;
  /** Status directory; default `BERTH_STATUS`, else `/envoyai/status`. */
  status?: string;
  /**
   * Write uncaught errors to the status `error` file and exit 1 (default true), so a crash
   * explains itself on the platform instead of leaving only a stack trace in the logs.
   */
  captureErrors?: boolean;
}

/** An opened machine: its inputs, outputs, status channel and manifest. */
export interface Machine<
  I extends object = Record<string, unknown>,
  O extends object = Record<string, unknown>,
> {
  inputs: Inputs<I>;
  outputs: Outputs<O>;
  status: Status;
  manifest: MachineDefinition;
  /**
   * Validates the output tree against the schema. When it has errors (a required output missing,
   * a value that does not parse …) writes them to the status `error` file and sets
   * `process.exitCode` to 11, the exit of the `invalid-output` outcome: the harness then reports
   * `invalid-output` with each finding listed, not a machine error. Returns every finding.
   */
  finish(): Promise<Finding[]>;
}

/** The places a manifest is looked for, in order. */
export function manifestCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env['BERTH_MANIFEST'], '/envoyai/machine.yaml', path.resolve('machine.yaml')].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
}

async function findManifest(explicit: string | undefined): Promise<string> {
  const named = explicit ?? process.env['BERTH_MANIFEST'];
  if (named) {
    try {
      await access(named);
      return named;
    } catch {
      throw new BerthError('BERTH_E_MANIFEST_NOT_FOUND', `No manifest at ${named}`, {
        path: named,
        expected: explicit
          ? 'the manifest file given to openMachine'
          : 'the manifest file BERTH_MANIFEST names',
      });
    }
  }
  const candidates = manifestCandidates();
  for (const c of candidates) {
    try {
      await access(c);
      return c;
    } catch {
      // try the next place
    }
  }
  throw new BerthError('BERTH_E_MANIFEST_NOT_FOUND', `No manifest at ${candidates.join(', ')}`, {
    expected: 'BERTH_MANIFEST set, or /envoyai/machine.yaml, or machine.yaml in the working directory',
  });
}

/**
 * The exit code of the `invalid-output` outcome (`OUTCOMES` in src/harness/outcome.ts, which the
 * SDK does not import: the harness sits above it). test/sdk/outputs.test.ts keeps the two equal.
 */
export const INVALID_OUTPUT_EXIT = 11;

let errorHandlersInstalled = false;

function installErrorHandlers(status: Status): void {
  if (errorHandlersInstalled) return;
  errorHandlersInstalled = true;
  const fail = (e: unknown) => {
    const text = isBerthError(e)
      ? `${e.code}: ${e.message}`
      : e instanceof Error
        ? `${e.name}: ${e.message}`
        : String(e);
    try {
      status.errorSync(`The machine failed: ${text}`);
    } catch {
      // The status directory is not writable: the message below is all that is left.
    }
    process.stderr.write(`${e instanceof Error && !isBerthError(e) ? (e.stack ?? text) : text}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

/**
 * Opens the machine this process runs: finds and checks the manifest, and binds the input and
 * output trees and the status channel. Pass the generated `Inputs`/`Outputs` types (`berth types`)
 * to have the compiler check every read and write against the schema.
 */
export async function openMachine<
  I extends object = Record<string, unknown>,
  O extends object = Record<string, unknown>,
>(options: MachineOptions = {}): Promise<Machine<I, O>> {
  const env = process.env;
  const manifest = await loadMachine(await findManifest(options.manifest));
  const inputRoot = path.resolve(options.input ?? env['BERTH_INPUT'] ?? '/envoyai/input');
  const outputRoot = path.resolve(options.output ?? env['BERTH_OUTPUT'] ?? '/envoyai/output');
  const status = new Status(path.resolve(options.status ?? env['BERTH_STATUS'] ?? '/envoyai/status'));
  if (options.captureErrors !== false) installErrorHandlers(status);
  let realInput: string;
  try {
    realInput = await realpath(inputRoot);
  } catch {
    throw new BerthError('BERTH_E_NOT_FOUND', `The input tree ${inputRoot} does not exist`, {
      path: inputRoot,
      expected: 'a directory (set BERTH_INPUT)',
    });
  }
  await mkdir(outputRoot, { recursive: true });
  const inputs = new Inputs<I>(realInput, manifest.inputs, { realRoot: realInput });
  // DICOM outputs are checked against the input UIDs (new SOP/series UIDs, the input's study), collected once.
  const inputUids = inputUidSource(realInput, manifest.inputs);
  const dicomOutputs = new DicomOutputs({ inputs: inputUids });
  const outputs = new Outputs<O>(outputRoot, manifest.outputs, { dicomOutputs });
  return {
    inputs,
    outputs,
    status,
    manifest,
    async finish() {
      const findings = await checkTree(manifest, 'out', outputRoot, { inputs: inputUids });
      const errors = findings.filter((f) => f.severity === 'error');
      if (errors.length > 0) {
        const lines = errors.map(
          (f) => `${f.code}: ${f.message}${f.path ? ` (${path.relative(outputRoot, f.path) || '.'})` : ''}`,
        );
        await status.error(`The outputs are invalid (${errors.length} problem(s)):\n${lines.join('\n')}`);
        process.exitCode = INVALID_OUTPUT_EXIT;
      }
      return findings;
    },
  };
}
