#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerCheck } from './check.js';
import { registerLabels } from './labels.js';
import { registerLayout } from './layout.js';
import { registerTypes } from './types.js';
import { registerValidate } from './validate.js';
import { registerSort } from './sort.js';
import { registerSynth } from './synth.js';
import { registerRun } from './run.js';
import { registerTest } from './test.js';
import { EXIT, reportError } from './output.js';
import { VERSION } from '../version.js';

const program = new Command('berth')
  .description('Run, check and package file-based AI machines (EnvoyAI Machine API v2).')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  .showHelpAfterError('(run berth --help for usage)');

registerCheck(program);
registerLayout(program);
registerTypes(program);
registerLabels(program);
registerValidate(program);
registerRun(program);
registerTest(program);
registerSynth(program);
registerSort(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; wrong usage exits 2 like every unusable input.
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.unusable;
  } else {
    process.exitCode = reportError(e, false);
  }
}
