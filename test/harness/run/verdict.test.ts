import { expect } from 'chai';
import { finding, type Finding } from '../../../src/errors.js';
import { OUTCOMES } from '../../../src/harness/outcome.js';
import { finalVerdict, verdict, type RunFacts } from '../../../src/harness/run/verdict.js';
import type { Comparison } from '../../../src/harness/types.js';

const broken: Finding = finding('BERTH_E_VALUE_TEXT', 'not an integer', { property: 'schema-in/n' });
const unfit: Finding = finding('BERTH_E_DICOM_MODALITY', 'MR, expected CT', { property: 'schema-in/ct' });
const missing: Finding = finding('BERTH_E_TREE_MISSING', 'no answer', { property: 'schema-out/answer' });
const warning: Finding = finding('BERTH_E_VALUE_TEXT', 'odd', { severity: 'warning' });
const exited = (code: number | null, more: Partial<RunFacts['process']> = {}): RunFacts['process'] => ({
  code,
  signal: null,
  ...more,
});
const comparison = (passed: boolean, path: string): Comparison => ({
  path,
  property: `schema-out/${path}`,
  kind: 'integer',
  method: 'exact',
  passed,
  ...(passed ? {} : { message: '3 ≠ 4' }),
});

/** One row of the outcome table: what is known, and the outcome and reason the verdict gives. */
const TABLE: { facts: RunFacts; outcome: keyof typeof OUTCOMES; reason: RegExp }[] = [
  {
    facts: { caseError: unfit },
    outcome: 'not-applicable',
    reason: /^The case cannot be materialised: MR, expected CT$/,
  },
  { facts: { caseError: broken }, outcome: 'invalid-input', reason: /^The case cannot be materialised/ },
  {
    facts: { inputFindings: [unfit, broken, warning] },
    outcome: 'invalid-input',
    reason:
      /^1 input problem\(s\); the machine was not started\. First: BERTH_E_VALUE_TEXT schema-in\/n: not/,
  },
  {
    facts: { inputFindings: [warning, unfit] },
    outcome: 'not-applicable',
    reason:
      /^The inputs do not meet the machine's constraints; the machine was not started: BERTH_E_DICOM_MODALITY/,
  },
  {
    facts: { deidRefusal: [unfit] },
    outcome: 'not-applicable',
    reason: /^BERTH_E_DICOM_MODALITY schema-in\/ct/,
  },
  {
    facts: { launchError: { message: 'not found', command: 'python3' } },
    outcome: 'machine-error',
    reason: /^The machine's command python3 could not be started: not found$/,
  },
  {
    facts: { launchError: { message: 'no such image' } },
    outcome: 'machine-error',
    reason: /^The machine could not be started: no such image$/,
  },
  {
    facts: {
      process: exited(null, { signal: 'SIGTERM', timedOutAfterMs: 90_000 }),
      outputFindings: [missing],
    },
    outcome: 'timeout',
    reason: /^The machine ran past its timeout of 90 s and was stopped$/,
  },
  {
    facts: { process: exited(null, { signal: 'SIGKILL' }) },
    outcome: 'killed',
    reason: /^The machine was killed by SIGKILL \(out of memory\?\)$/,
  },
  {
    facts: { process: exited(null, { signal: 'SIGTERM', forwarded: 'SIGTERM' }), statusError: 'bye\nmore' },
    outcome: 'killed',
    reason: /^The machine was killed by SIGTERM \(berth exec passed on SIGTERM\): bye$/,
  },
  {
    facts: { process: exited(3), statusFile: '/envoyai/status/error' },
    outcome: 'machine-error',
    reason:
      /^The machine exited with code 3 without writing \/envoyai\/status\/error \(its stderr may say why\)$/,
  },
  {
    facts: { process: exited(1), statusError: '  weights missing\nat line 3', statusFile: 'status/error' },
    outcome: 'machine-error',
    reason: /^The machine exited with code 1: weights missing$/,
  },
  {
    facts: { process: exited(0), statusError: 'gave up', outputFindings: [] },
    outcome: 'machine-error',
    reason: /^The machine reported an error: gave up$/,
  },
  {
    facts: { process: exited(0), outputFindings: [warning, missing] },
    outcome: 'invalid-output',
    reason: /^1 output problem\(s\)\. First: BERTH_E_TREE_MISSING schema-out\/answer: no answer$/,
  },
  {
    facts: { process: exited(11), statusError: 'my outputs are wrong', outputFindings: [missing] },
    outcome: 'invalid-output',
    reason: /^1 output problem\(s\)/,
  },
  {
    facts: { process: exited(11), statusError: 'my outputs are wrong', outputFindings: [warning] },
    outcome: 'machine-error',
    reason: /^The machine exited with code 11, yet its outputs are valid: my outputs are wrong$/,
  },
  {
    facts: {
      process: exited(0),
      outputFindings: [],
      comparisons: [comparison(true, 'a'), comparison(false, 'b')],
    },
    outcome: 'failed-compare',
    reason: /^1 of 2 comparison\(s\) failed, first: b \(3 ≠ 4\)$/,
  },
  {
    facts: { process: exited(0), outputFindings: [warning], comparisons: [comparison(true, 'a')] },
    outcome: 'passed',
    reason: /^All 1 comparison\(s\) passed$/,
  },
  {
    facts: { process: exited(0), outputFindings: [warning] },
    outcome: 'passed',
    reason: /^The outputs are valid$/,
  },
];

describe('harness/run/verdict', () => {
  it('gives every outcome of the table its outcome and reason, each outcome at least once', () => {
    for (const row of TABLE) {
      const v = finalVerdict(row.facts);
      expect(v.outcome, JSON.stringify(row.facts)).to.equal(row.outcome);
      expect(v.reason).to.match(row.reason);
    }
    expect(new Set(TABLE.map((r) => r.outcome))).to.have.lengthOf(Object.keys(OUTCOMES).length);
  });

  it('lets the run go on while nothing known stops it', () => {
    expect(verdict({})).to.equal(undefined);
    expect(verdict({ inputFindings: [warning] })).to.equal(undefined);
    expect(verdict({ inputFindings: [], process: exited(0) })).to.equal(undefined);
    // Exit 11 waits for the output check, even with a status error: the outputs decide.
    expect(verdict({ process: exited(11), statusError: 'invalid' })).to.equal(undefined);
    expect(verdict({ process: exited(0), outputFindings: [warning] })).to.equal(undefined);
  });

  it('names the findings behind an input or output outcome, and all output findings when passed', () => {
    expect(finalVerdict({ inputFindings: [unfit, broken, warning] }).findings).to.deep.equal([broken]);
    expect(finalVerdict({ inputFindings: [unfit, warning] }).findings).to.deep.equal([unfit]);
    expect(finalVerdict({ process: exited(0), outputFindings: [warning, missing] }).findings).to.deep.equal([
      missing,
    ]);
    expect(finalVerdict({ process: exited(0), outputFindings: [warning] }).findings).to.deep.equal([warning]);
    expect(finalVerdict({ process: exited(2) }).findings).to.deep.equal([]);
  });

  it('takes a whitespace-only status error file as no error', () => {
    expect(finalVerdict({ process: exited(0), statusError: ' \n', outputFindings: [] }).outcome).to.equal(
      'passed',
    );
  });
});
