import path from 'node:path';
import type { Command } from 'commander';
import { initMachine } from '../harness/init.js';
import { EXIT, reportError, writeOut } from './output.js';

interface InitFlags {
  name?: string;
  force?: boolean;
  berthPath?: string;
}

/** `berth init <dir> [--name NAME] [--force] [--berth-path PATH]`: a new machine that passes `berth test`. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'scaffold a new TypeScript machine (manifest, code, types, case, Dockerfile) that passes berth test',
    )
    .argument('<dir>', 'the machine directory: absent or empty')
    .option(
      '--name <name>',
      "info.name, the package's and the image's name (default: from the directory's name)",
    )
    .option('--force', 'write into a non-empty directory: replaces files of the same names, deletes nothing')
    .option(
      '--berth-path <path>',
      'depend on the berth package at PATH as file:PATH (default: the running berth; ^version when it came from npm)',
    )
    .action(async (dir: string, flags: InitFlags) => {
      process.exitCode = await runInit(dir, flags);
    });
}

async function runInit(dir: string, flags: InitFlags): Promise<number> {
  try {
    const result = await initMachine({
      dir,
      ...(flags.name === undefined ? {} : { name: flags.name }),
      ...(flags.force === true ? { force: true } : {}),
      ...(flags.berthPath === undefined ? {} : { berthPath: flags.berthPath }),
    });
    // As the user would type it: relative when the machine is below the working directory, else absolute.
    const relative = path.relative(process.cwd(), result.dir) || '.';
    const shown = relative.startsWith('..') ? result.dir : relative;
    const cd = shown === '.' ? [] : [`  cd ${/^[\w./-]+$/.test(shown) ? shown : JSON.stringify(shown)}`];
    const lines = [
      `Created the machine ${result.name} in ${shown} (berth: ${result.berthDependency}):`,
      ...result.files.map((f) => `  ${f.path}${f.replaced ? '  (replaced)' : ''}`),
      '',
      'Next steps:',
      ...cd,
      '  npm install        # berth, TypeScript and @types/node',
      '  npm test           # build (types from machine.yaml, then tsc) and berth test: 1 passed, 0 failed',
      '  then edit machine.yaml and src/main.ts, and add cases under cases/ (see README.md)',
    ];
    await writeOut(lines.join('\n') + '\n');
    return EXIT.ok;
  } catch (e) {
    return reportError(e, false);
  }
}
