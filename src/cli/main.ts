#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { EXIT, reportError } from './output.js';
import { VERSION } from '../version.js';

type Register = (program: Command) => void;

/**
 * Every subcommand, loaded on demand: a command imports only its own modules, so `berth check`
 * does not pay for the HTTP gateway, the DICOM transcoder or the HTML report at start-up.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  check: async () => (await import('./check.js')).registerCheck,
  layout: async () => (await import('./layout.js')).registerLayout,
  types: async () => (await import('./types.js')).registerTypes,
  labels: async () => (await import('./labels.js')).registerLabels,
  validate: async () => (await import('./validate.js')).registerValidate,
  run: async () => (await import('./run.js')).registerRun,
  test: async () => (await import('./test.js')).registerTest,
  batch: async () => (await import('./batch.js')).registerBatch,
  diff: async () => (await import('./diff.js')).registerDiff,
  worker: async () => (await import('./worker.js')).registerWorker,
  synth: async () => (await import('./synth.js')).registerSynth,
  sort: async () => (await import('./sort.js')).registerSort,
  init: async () => (await import('./init.js')).registerInit,
  stream: async () => (await import('./stream.js')).registerStream,
  exec: async () => (await import('./exec.js')).registerExec,
  build: async () => (await import('./build.js')).registerBuild,
  serve: async () => (await import('./serve.js')).registerServe,
  pack: async () => (await import('./pack.js')).registerPack,
  unpack: async () => (await import('./unpack.js')).registerUnpack,
  deid: async () => (await import('./deid.js')).registerDeid,
  reid: async () => (await import('./reid.js')).registerReid,
  listen: async () => (await import('./listen.js')).registerListen,
};

const program = new Command('berth')
  .description('Run, check and package file-based AI machines (EnvoyAI Machine API v2).')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  .showHelpAfterError('(run berth --help for usage)')
  // A command's options are its own: `berth batch status --out …` is not `berth batch --out …`.
  .enablePositionalOptions();

try {
  const asked = process.argv[2];
  const names = asked !== undefined && asked in COMMANDS ? [asked] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!())(program);
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; wrong usage exits 2 like every unusable input.
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.unusable;
  } else {
    process.exitCode = reportError(e, false);
  }
}
