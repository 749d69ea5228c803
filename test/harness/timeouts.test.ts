import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadCase } from '../../src/harness/case.js';
import { processDriver } from '../../src/harness/drivers/process.js';
import { resolveMachine } from '../../src/harness/machine.js';
import { runCase } from '../../src/harness/run.js';
import { MAX_TIMEOUT_MINUTES } from '../../src/manifest/manifest.js';
import { codeOfAsync } from '../support/codes.js';
import { ROOT } from '../support/paths.js';

/**
 * Timeouts of 2³¹ ms and more (24.8 days) once overflowed Node's timer, which then fired after
 * 1 ms: every run "timed out". Each entry point — manifest, case file, run option — either runs
 * such a timeout faithfully or refuses it beyond the documented maximum.
 */
describe('harness: timeouts beyond a Node timer', function () {
  this.timeout(30_000);
  let dir: string;
  const manifest = (timeout: string) =>
    [
      'metadata-version: 2',
      'info: {name: long}',
      'schema-in:',
      '  value: {type: string}',
      'schema-out:',
      '  count: {type: integer}',
      `timeout: ${timeout}`,
    ].join('\n');
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-timeouts-'));
    writeFileSync(
      path.join(dir, 'm.mjs'),
      "import fs from 'node:fs';\nsetTimeout(() => fs.writeFileSync(process.env.BERTH_OUTPUT + '/count', '5'), 200);\n",
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(manifestTimeout: string, caseText: string, timeoutMs?: number) {
    writeFileSync(path.join(dir, 'machine.yaml'), manifest(manifestTimeout));
    writeFileSync(path.join(dir, 'case.yaml'), caseText);
    const machine = await resolveMachine(dir);
    const result = await runCase({
      definition: machine.definition,
      machineDir: dir,
      case: await loadCase(path.join(dir, 'case.yaml')),
      driver: processDriver,
      command: [process.execPath, path.join(dir, 'm.mjs')],
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    await result.cleanup();
    return result.report;
  }

  it('a manifest timeout of 40000 minutes lets a 200 ms machine pass', async () => {
    const report = await run('40000', 'inputs: {value: hi}\n');
    expect(report.outcome, report.reason).to.equal('passed');
    expect(report.timeoutMs).to.equal(40000 * 60_000);
  });

  it('a case timeout of 40000 minutes lets a 200 ms machine pass', async () => {
    const report = await run('1', 'inputs: {value: hi}\ntimeout: 40000\n');
    expect(report.outcome, report.reason).to.equal('passed');
  });

  it('a run option of 600 hours lets a 200 ms machine pass', async () => {
    const report = await run('1', 'inputs: {value: hi}\n', 600 * 3_600_000);
    expect(report.outcome, report.reason).to.equal('passed');
  });

  it('a case timeout of .inf or beyond the maximum is refused with BERTH_E_CASE_FORMAT', async () => {
    writeFileSync(path.join(dir, 'inf.yaml'), 'inputs: {value: hi}\ntimeout: .inf\n');
    writeFileSync(path.join(dir, 'big.yaml'), `inputs: {value: hi}\ntimeout: ${MAX_TIMEOUT_MINUTES + 1}\n`);
    expect(await codeOfAsync(loadCase(path.join(dir, 'inf.yaml')))).to.equal('BERTH_E_CASE_FORMAT');
    expect(await codeOfAsync(loadCase(path.join(dir, 'big.yaml')))).to.equal('BERTH_E_CASE_FORMAT');
  });

  it('the manifest and case schemas state the same maximum as the code', () => {
    for (const file of ['schemas/machine.schema.json', 'schemas/case.schema.json']) {
      const schema = JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as {
        properties: { timeout: { maximum: number } };
      };
      expect(schema.properties.timeout.maximum, file).to.equal(MAX_TIMEOUT_MINUTES);
    }
  });
});
