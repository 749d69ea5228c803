/**
 * The harness's own overhead: a trivial machine (Node writing one output) run through `runCase`
 * with the process driver, against launching the same command bare, side by side in one run.
 * Target: ≤ 100 ms of added wall time per run (berth's own start-up is not counted: runCase is
 * called in-process, as `berth test` calls it for every case).
 *
 * Run: `node --import tsx bench/harness.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCase } from '../src/harness/case.js';
import { processDriver } from '../src/harness/drivers/process.js';
import { resolveMachine } from '../src/harness/machine.js';
import { runCase } from '../src/harness/run.js';

const RUNS = 9;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function bare(command: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

/** Measures and reports the harness overhead. */
export async function benchHarness(report: (line: string) => void): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-harness-'));
  try {
    await writeFile(
      path.join(dir, 'machine.yaml'),
      'metadata-version: 2\ninfo: {name: trivial}\nschema-in:\n  value: {type: string}\nschema-out:\n  count: {type: integer}\n',
    );
    await writeFile(path.join(dir, 'case.yaml'), 'inputs:\n  value: hello\n');
    const script = path.join(dir, 'machine.mjs');
    await writeFile(
      script,
      "import fs from 'node:fs'; fs.writeFileSync(process.env.BERTH_OUTPUT + '/count', '5');\n",
    );
    const command = [process.execPath, script];
    const machine = await resolveMachine(dir);
    const spec = await loadCase(path.join(dir, 'case.yaml'));
    const scratch = path.join(dir, 'bare-out');
    await rm(scratch, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(scratch));
    const bareTimes: number[] = [];
    const berthTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await bare(command, { ...process.env, BERTH_OUTPUT: scratch });
      bareTimes.push(performance.now() - t);
      t = performance.now();
      const r = await runCase({
        definition: machine.definition,
        machineDir: dir,
        case: spec,
        driver: processDriver,
        command,
      });
      berthTimes.push(performance.now() - t);
      if (r.report.outcome !== 'passed') throw new Error(`bench machine did not pass: ${r.report.reason}`);
      await r.cleanup();
    }
    const b = median(bareTimes);
    const h = median(berthTimes);
    report(`harness overhead: trivial Node machine, process driver, median of ${RUNS} runs`);
    report(`  bare launch of the same command            ${b.toFixed(1).padStart(8)} ms`);
    report(`  berth runCase (materialise → check → run → validate)  ${h.toFixed(1).padStart(8)} ms`);
    report(
      `  added by berth                             ${(h - b).toFixed(1).padStart(8)} ms   (target ≤ 100 ms) ${h - b <= 100 ? 'ok' : 'ABOVE TARGET'}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchHarness((line) => console.log(line));
}
