import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { BerthError } from '../errors.js';
import { loadCase, type CaseSpec } from '../harness/case.js';
import { assertUpdatable } from '../harness/compare/update.js';
import { driverNamed } from '../harness/drivers/index.js';
import { executeCase } from '../harness/execute.js';
import { liveDisplay } from '../harness/live.js';
import { resolveMachine, type MachineRef } from '../harness/machine.js';
import { checkResultDir } from '../harness/report/destinations.js';
import { EXIT, reportError, writeOut } from './output.js';
import {
  addDeidOptions,
  addDriverOptions,
  addLaunchOptions,
  collect,
  deidArgs,
  deidSettings,
  driverSettings,
  launchOverrides,
  parseDuration,
  type DeidFlags,
  type DriverFlags,
  type LaunchFlags,
} from './run-options.js';

interface TestFlags extends LaunchFlags, DriverFlags, DeidFlags {
  timeout?: string;
  cases?: string;
  case?: string[];
  report?: string[];
  update?: boolean;
}

/** `berth test <machine-dir>`: every case under `cases/`, ending with `N passed, N failed`. */
export function registerTest(program: Command): void {
  addDeidOptions(addDriverOptions(addLaunchOptions(program.command('test'))))
    .description(
      "run every case under the machine's cases/ folder; a case passes when its outcome is the expected one",
    )
    .argument('<machine>', 'a machine directory')
    .option('--cases <dir>', 'the folder of cases (default: <machine>/cases)')
    .option('--case <name>', 'run only this case (its name or file/folder name; repeatable)', collect)
    .option('--timeout <duration>', "overrides the manifest's timeout")
    .option('--report <dir>', 'write <dir>/<case>.json and .html reports', collect)
    .option('--update', 'write the actual outputs as the expected ones (expected/ beside the case)')
    .action(async (machine: string, flags: TestFlags) => {
      process.exitCode = await runTests(machine, flags);
    });
}

/** A case found in the cases folder, loaded. */
interface Found {
  casePath: string;
  spec: CaseSpec;
}

/** The cases to run, loaded and checked before any runs (a bad one stops the command with exit 2). */
async function findCases(machine: MachineRef, flags: TestFlags): Promise<Found[]> {
  const casesDir = path.resolve(flags.cases ?? path.join(machine.machineDir, 'cases'));
  const entries = await readdir(casesDir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw new BerthError(
      'BERTH_E_NOT_FOUND',
      e.code === 'ENOENT'
        ? `There is no folder of cases: ${flags.cases ? 'the --cases folder' : 'the machine has no cases/ folder'}`
        : `The folder of cases cannot be read (${e.code ?? e.message})`,
      {
        path: casesDir,
        expected: flags.cases
          ? 'a folder of case directories or case files (case.yaml/.json)'
          : `a cases/ folder in the machine directory, or --cases DIR (one case alone: berth run ${shown(machine.machineDir)} --case CASE)`,
      },
    );
  });
  const paths = entries
    .filter((d) => d.isDirectory() || /\.(ya?ml|json)$/.test(d.name))
    .map((d) => path.join(casesDir, d.name))
    .sort();
  if (paths.length === 0) {
    throw new BerthError('BERTH_E_NOT_FOUND', 'The folder of cases holds no cases', {
      path: casesDir,
      expected: 'case directories or case files (case.yaml/.json)',
    });
  }
  const found: Found[] = [];
  for (const casePath of paths) found.push({ casePath, spec: await loadCase(casePath) });
  const wanted = flags.case ?? [];
  const picked = wanted.length
    ? found.filter((f) => wanted.includes(f.spec.name) || wanted.includes(path.basename(f.casePath)))
    : found;
  for (const name of wanted) {
    if (!picked.some((f) => f.spec.name === name || path.basename(f.casePath) === name)) {
      throw new BerthError('BERTH_E_NOT_FOUND', `There is no case ${JSON.stringify(name)}`, {
        path: casesDir,
        expected: `one of ${found.map((f) => f.spec.name).join(', ')}`,
      });
    }
  }
  if (flags.update) for (const f of picked) assertUpdatable(f.spec, machine.definition);
  return picked;
}

/** A path as the user would type it from here. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
}

/** A word safe to paste into a shell. */
function quoted(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

async function runTests(machineArg: string, flags: TestFlags): Promise<number> {
  try {
    driverNamed(flags.driver);
    const timeoutMs = flags.timeout ? parseDuration(flags.timeout) : undefined;
    const overrides = launchOverrides(flags);
    for (const dir of flags.report ?? []) await checkResultDir(dir, '--report');
    const deidentify = await deidSettings(flags);
    const machine = await resolveMachine(machineArg);
    const cases = await findCases(machine, flags);
    let passed = 0;
    let failed = 0;
    for (const { casePath, spec } of cases) {
      await writeOut(`run   ${spec.name} (${shown(casePath)})\n`);
      const reports = (flags.report ?? []).flatMap((dir) => [
        path.join(dir, `${spec.name}.json`),
        path.join(dir, `${spec.name}.html`),
      ]);
      // Live progress only where it can be redrawn in place; a log gets the start and result lines.
      const live =
        process.stderr.isTTY && !process.env['CI'] ? liveDisplay(process.stderr, spec.name) : undefined;
      const result = await executeCase({
        machine,
        casePath,
        driver: flags.driver,
        ...overrides,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        reports,
        ...(flags.update ? { update: true } : {}),
        ...driverSettings(flags),
        ...(deidentify ? { deidentify } : {}),
        ...(live ? { onEvent: live.onEvent } : {}),
      }).finally(() => live?.done());
      const ok = result.report.outcome === spec.expectedOutcome;
      if (ok) passed++;
      else failed++;
      const expected = spec.expectedOutcome === 'passed' ? '' : ` (expected ${spec.expectedOutcome})`;
      await writeOut(
        `${ok ? 'ok  ' : 'FAIL'}  ${spec.name}: ${result.report.outcome}${expected}${ok ? '' : ` — ${result.report.reason}`}\n`,
      );
      if (!ok) await writeOut(rerunHint(machineArg, casePath, flags, reports));
      await result.cleanup();
    }
    await writeOut(`${passed} passed, ${failed} failed\n`);
    return failed === 0 ? EXIT.ok : EXIT.findings;
  } catch (e) {
    return reportError(e, false);
  }
}

/** How to look at a failed case closely: its reports, or the `berth run` that writes one. */
function rerunHint(machineArg: string, casePath: string, flags: TestFlags, reports: string[]): string {
  if (reports.length > 0) return `      report: ${reports.map(shown).join(', ')}\n`;
  const args = ['berth', 'run', machineArg, '--case', shown(casePath)];
  if (flags.driver !== 'process') args.push('--driver', flags.driver);
  if (flags.image) args.push('--image', flags.image);
  if (flags.engine) args.push('--engine', flags.engine);
  if (flags.cmd) args.push('--cmd', flags.cmd);
  if (flags.timeout) args.push('--timeout', flags.timeout);
  args.push(...deidArgs(flags));
  args.push('--report', 'run.html', '--keep');
  return `      rerun with a report: ${args.map(quoted).join(' ')}\n`;
}
