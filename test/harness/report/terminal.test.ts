import { expect } from 'chai';
import { formatBytes, formatDuration } from '../../../src/harness/report/format.js';
import { renderTerminalSummary, summaryWidth, wantsColor } from '../../../src/harness/report/terminal.js';
import type { RunReport } from '../../../src/harness/types.js';
import { makeReportFixture, type ReportFixture } from './fixture.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

describe('harness/report/terminal', () => {
  let fixture: ReportFixture;
  let report: RunReport;
  before(async () => {
    fixture = await makeReportFixture();
    report = fixture.report;
  });
  after(() => fixture?.cleanup());

  it('summarises outcome, reason, timings, status, findings, comparisons, caps and report paths', () => {
    const text = renderTerminalSummary(report, {
      color: false,
      env: {},
      reports: { json: '/r/run.json', html: '/r/run.html' },
    });
    expect(text).to.not.match(ANSI);
    const lines = text.split('\n');
    expect(lines[0]).to.match(/^\[FAILED COMPARE\] lung-nodule-seg · case ct-chest-01 · process {2}exit 10$/);
    expect(lines[1]).to.equal('  2 of 5 comparisons failed: score, mask');
    expect(text).to.include('12.3 s wall · 40.2 s CPU · 812 MB peak memory · timeout 10 min');
    expect(text).to.include('progress 100% · 1 warning');
    expect(text).to.include('slice 7 has no ImagePositionPatient');
    expect(text).to.include('nvidia: true is not honoured');
    expect(text).to.include('Input findings  none');
    expect(text).to.include('Output findings  1 warning');
    expect(text).to.include('BERTH_E_TREE_UNDECLARED');
    expect(text).to.include('Comparisons  3 passed, 2 failed');
    expect(text).to.include('expected 87.5%   actual 91.2%');
    expect(text).to.include('differingPixels 4121 · dice 1: 0.912');
    expect(text).to.include('stdout: 10.2 MB, 9.2 MB dropped · stderr: 312 B');
    expect(text).to.include('/r/run.json').and.to.include('/r/run.html');
    expect(text).to.include(fixture.expected);
    // Failed comparisons come first, each group in report order.
    const order = ['✗ score', '✗ mask', '✓ label', '✓ summary', '✓ measurements/0/area'].map((s) =>
      text.indexOf(s),
    );
    expect(order.every((i) => i >= 0)).to.equal(true);
    expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
  });

  it('colors the outcome with ANSI codes, and never when NO_COLOR is set', () => {
    const colored = renderTerminalSummary(report, { color: true, env: {} });
    expect(colored).to.include('\x1b[1;30;43m FAILED COMPARE \x1b[0m');
    expect(colored.replace(ANSI, '')).to.include('FAILED COMPARE');
    const plain = renderTerminalSummary(report, { color: true, env: { NO_COLOR: '1' } });
    expect(plain).to.not.match(ANSI);
    expect(wantsColor({ isTTY: true }, {})).to.equal(true);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '1' })).to.equal(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: '' })).to.equal(true);
    expect(wantsColor({ isTTY: false }, {})).to.equal(false);
    expect(wantsColor({}, {})).to.equal(false);
  });

  it("shows the stderr tail of a failed run with the machine's control characters made visible", () => {
    const text = renderTerminalSummary(report, { color: false, env: {} });
    expect(text).to.include('│ UserWarning: TF32 disabled');
    expect(text).to.include('│ \\x1b[31mred text\\x1b[0m');
    // eslint-disable-next-line no-control-regex
    expect(text).to.not.match(/\x1b/);
    const passed = renderTerminalSummary(
      { ...report, outcome: 'passed', exitCode: 0 },
      { color: false, env: {} },
    );
    expect(passed).to.not.include('UserWarning');
    expect(passed).to.match(/^\[PASSED\]/);
  });

  it('shows machine warnings and errors with escapes, OSC and C1 controls made visible, and refused status files', () => {
    const text = renderTerminalSummary(
      {
        ...report,
        status: {
          progress: null,
          warnings: ['\x1b]0;owned\x07title', '\x9b2Jclear \x9d8;;x\x9c'],
          error: 'boom \x1b[2J',
          findings: [
            {
              code: 'BERTH_E_TREE_SYMLINK',
              severity: 'warning',
              message: 'The entry is a symbolic link, which berth does not follow here',
            },
          ],
        },
      },
      { color: false, env: {} },
    );
    expect(text).to.include('\\x1b]0;owned\\x07title');
    expect(text).to.include('\\x9b2Jclear \\x9d8;;x\\x9c');
    expect(text).to.include('error: boom \\x1b[2J');
    expect(text).to.include('BERTH_E_TREE_SYMLINK The entry is a symbolic link');
    // eslint-disable-next-line no-control-regex
    expect(text).to.not.match(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });

  it('fits long reasons, messages and values into the width', () => {
    const long = 'x'.repeat(500);
    const text = renderTerminalSummary(
      {
        ...report,
        reason: long,
        status: { progress: 50, warnings: [long], error: long },
        outputFindings: [{ code: 'BERTH_E_VALUE_TEXT', severity: 'error', message: long, property: long }],
        comparisons: [
          {
            path: 'p',
            property: 'q',
            kind: 'string',
            method: 'exact',
            passed: false,
            expected: long,
            actual: long,
            message: long,
          },
        ],
        trees: undefined,
      },
      { color: false, env: {}, width: 60 },
    );
    for (const line of text.split('\n')) {
      if (line.includes('stderr, last lines')) continue; // a file path, kept whole to be copyable
      expect(line.length, line).to.be.at.most(60);
    }
    expect(text).to.include('✗ error: xxx');
    expect(text).to.include('…');
  });

  it('cuts nothing when the output is not a terminal (summaryWidth is then unlimited)', () => {
    expect(summaryWidth({ isTTY: false, columns: 80 })).to.equal(Infinity);
    expect(summaryWidth({ isTTY: true, columns: 80 })).to.equal(80);
    const long = 'y'.repeat(500);
    const text = renderTerminalSummary(
      {
        ...report,
        reason: long,
        outputFindings: [
          { code: 'BERTH_E_VALUE_TEXT', severity: 'error', message: long, path: `output/${long}` },
        ],
      },
      { color: false, env: {}, width: summaryWidth({ isTTY: false }) },
    );
    expect(text).to.not.include('…');
    expect(text).to.include(`  ${long}\n`);
    expect(text).to.include(`output/${long}`);
  });

  it('says where the run folder is when kept, and that it was removed (and how to keep it) when not', () => {
    const kept = renderTerminalSummary(
      { ...report, runFolder: { path: '/tmp/berth-run-x', kept: true }, outputsCopiedTo: '/home/u/out' },
      { color: false, env: {} },
    );
    expect(kept).to.match(/run\s+\/tmp\/berth-run-x/);
    expect(kept).to.match(/outputs\s+\/home\/u\/out/);
    expect(kept).to.not.include('was removed');
    const removed = renderTerminalSummary(
      { ...report, trees: undefined, runFolder: { path: '/tmp/berth-run-x', kept: false } },
      { color: false, env: {} },
    );
    expect(removed).to.include(
      'The run folder (input/, output/, status/, logs/) was removed: keep it with --keep, or copy the outputs with --out DIR',
    );
  });

  it('describes a run that never started', () => {
    const text = renderTerminalSummary(
      {
        ...report,
        outcome: 'invalid-input',
        exitCode: 16,
        reason: 'the input ct is not DICOM',
        usage: null,
        process: null,
        stdout: null,
        stderr: null,
        comparisons: [],
        inputFindings: [
          { code: 'BERTH_E_NOT_PART10', severity: 'error', message: 'not DICOM', path: '/x/ct/a.dcm' },
        ],
        outputFindings: [],
        trees: undefined,
      },
      { color: false, env: {} },
    );
    expect(text).to.match(/^\[INVALID INPUT\]/);
    expect(text).to.include('not run · timeout 10 min');
    expect(text).to.include('Input findings  1 error');
    expect(text).to.include('Comparisons  none');
    expect(text).to.not.include('Output  ');
    expect(text).to.not.include('Reports');
  });

  it('formats sizes and durations for people', () => {
    expect(formatBytes(0)).to.equal('0 B');
    expect(formatBytes(812)).to.equal('812 B');
    expect(formatBytes(9_200_000)).to.equal('9.2 MB');
    expect(formatBytes(10_200_000)).to.equal('10.2 MB');
    expect(formatBytes(10_000_000)).to.equal('10 MB');
    expect(formatBytes(812_000_000)).to.equal('812 MB');
    expect(formatBytes(1_500_000_000)).to.equal('1.5 GB');
    expect(formatDuration(850)).to.equal('850 ms');
    expect(formatDuration(1234)).to.equal('1.23 s');
    expect(formatDuration(12_345)).to.equal('12.3 s');
    expect(formatDuration(125_000)).to.equal('2 min 05 s');
    expect(formatDuration(600_000)).to.equal('10 min');
    expect(formatDuration(3_720_000)).to.equal('1 h 02 min');
    expect(formatDuration(7_200_000)).to.equal('2 h');
  });
});
