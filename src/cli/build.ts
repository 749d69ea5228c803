import type { Command } from 'commander';
import { planBuild, runBuild } from '../harness/build.js';
import { resolveMachine } from '../harness/machine.js';
import { EXIT, reportError, writeOut } from './output.js';
import { collect } from './run-options.js';

interface BuildFlags {
  tag?: string;
  engine?: string;
  base?: string;
  file?: string;
  buildArg?: string[];
  dryRun?: boolean;
}

/** `berth build <machine-dir>`: the machine's image, with its EnvoyAI LABELs set from the manifest. */
export function registerBuild(program: Command): void {
  program
    .command('build')
    .description(
      "build a machine's image with buildah, podman or docker, setting its EnvoyAI LABELs from the manifest; prints the image name",
    )
    .argument('<machine>', 'a machine directory (with machine.yaml and a Dockerfile)')
    .option('--tag <image>', 'the image name (default: <info.name>:<info.release-version or latest>)')
    .option('--engine <builder>', 'buildah, podman or docker (default: the first that works here)')
    .option(
      '--base <image>',
      'the base image, as --build-arg BERTH_IMAGE=<image> (default: the Dockerfile’s)',
    )
    .option('--file <dockerfile>', 'the Dockerfile (default: <machine>/Dockerfile)')
    .option('--build-arg <key=value>', 'a build argument (repeatable)', collect)
    .option('--dry-run', 'print the build command instead of running it')
    .action(async (machine: string, flags: BuildFlags) => {
      process.exitCode = await build(machine, flags);
    });
}

async function build(machineArg: string, flags: BuildFlags): Promise<number> {
  try {
    const machine = await resolveMachine(machineArg);
    const plan = await planBuild({
      machine,
      ...(flags.file ? { dockerfile: flags.file } : {}),
      ...(flags.tag ? { tag: flags.tag } : {}),
      ...(flags.engine ? { engine: flags.engine } : {}),
      ...(flags.base ? { base: flags.base } : {}),
      ...(flags.buildArg ? { buildArgs: flags.buildArg } : {}),
      probe: !(flags.dryRun && flags.engine),
    });
    for (const n of plan.notices) process.stderr.write(`berth build: note: ${n}\n`);
    if (flags.dryRun) {
      await writeOut(JSON.stringify([plan.builder, ...plan.args]) + '\n');
      return EXIT.ok;
    }
    process.stderr.write(`berth build: ${shortCommand(plan.builder, plan.args)}\n`);
    const image = await runBuild(plan);
    await writeOut(image + '\n');
    return EXIT.ok;
  } catch (e) {
    return reportError(e, false);
  }
}

/** The build command for people, label values cut short. */
function shortCommand(builder: string, args: readonly string[]): string {
  return [builder, ...args]
    .map((a, i) => {
      const shown = args[i - 2] === '--label' && a.length > 40 ? `${a.slice(0, 37).split('\n')[0]}…` : a;
      return /^[\w@%+=:,./-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, "'\\''")}'`;
    })
    .join(' ');
}
