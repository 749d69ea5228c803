import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { loadCase } from '../harness/case.js';
import { executeCase } from '../harness/execute.js';
import { resolveMachine, splitCommand } from '../harness/machine.js';
import { EXIT, reportError, writeOut } from './output.js';
import { addDriverOptions, collect, driverSettings, parseDuration, type DriverFlags } from './run-options.js';

interface TestFlags extends DriverFlags {
  driver: string;
  image?: string;
  engine?: string;
  cmd?: string;
  timeout?: string;
  cases?: string;
  report?: string[];
  update?: boolean;
}

/** `berth test <machine-dir>`: every case under `cases/`, ending with `N passed, N failed`. */
export function registerTest(program: Command): void {
  addDriverOptions(program.command('test'))
    .description(
      "run every case under the machine's cases/ folder; a case passes when its outcome is the expected one",
    )
    .argument('<machine>', 'a machine directory')
    .option('--cases <dir>', 'the folder of cases (default: <machine>/cases)')
    .option('--driver <driver>', 'process, sandbox or container', 'process')
    .option('--image <image>', 'the image to run (container driver)')
    .option('--engine <engine>', 'podman or docker')
    .option('--cmd <command>', "the machine's command")
    .option('--timeout <duration>', "overrides the manifest's timeout")
    .option('--report <dir>', 'write <dir>/<case>.json and .html reports', collect)
    .option('--update', 'write the actual outputs as the expected ones (expected/ beside the case)')
    .action(async (machine: string, flags: TestFlags) => {
      process.exitCode = await runTests(machine, flags);
    });
}

async function runTests(machineArg: string, flags: TestFlags): Promise<number> {
  try {
    const machine = await resolveMachine(machineArg);
    const casesDir = path.resolve(flags.cases ?? path.join(machine.machineDir, 'cases'));
    const entries = (await readdir(casesDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() || /\.(ya?ml|json)$/.test(d.name))
      .map((d) => path.join(casesDir, d.name))
      .sort();
    let passed = 0;
    let failed = 0;
    for (const casePath of entries) {
      const spec = await loadCase(casePath);
      const reports = (flags.report ?? []).flatMap((dir) => [
        path.join(dir, `${spec.name}.json`),
        path.join(dir, `${spec.name}.html`),
      ]);
      const result = await executeCase({
        machine,
        casePath,
        driver: flags.driver,
        ...(flags.cmd ? { command: splitCommand(flags.cmd) } : {}),
        ...(flags.image ? { image: flags.image } : {}),
        ...(flags.engine ? { engine: flags.engine } : {}),
        ...(flags.timeout ? { timeoutMs: parseDuration(flags.timeout) } : {}),
        reports,
        ...(flags.update ? { update: true } : {}),
        ...driverSettings(flags),
      });
      const ok = result.report.outcome === spec.expectedOutcome;
      if (ok) passed++;
      else failed++;
      const expected = spec.expectedOutcome === 'passed' ? '' : ` (expected ${spec.expectedOutcome})`;
      await writeOut(
        `${ok ? 'ok  ' : 'FAIL'}  ${spec.name}: ${result.report.outcome}${expected}${ok ? '' : ` — ${result.report.reason}`}\n`,
      );
      await result.cleanup();
    }
    await writeOut(`${passed} passed, ${failed} failed\n`);
    return failed === 0 ? EXIT.ok : EXIT.findings;
  } catch (e) {
    return reportError(e, false);
  }
}
