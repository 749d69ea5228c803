// Mocha's spec output plus the plain closing line CI reads: "N passed, N failed".
// The counts are also written to BERTH_TEST_RESULTS (JSON) so .ci/run can print them last.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class BerthReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || { passes: 0, failures: 0, pending: 0 };
      const line = `${s.passes} passed, ${s.failures} failed` + (s.pending ? `, ${s.pending} skipped` : '');
      const out = process.env.BERTH_TEST_RESULTS;
      if (out)
        fs.writeFileSync(out, JSON.stringify({ passed: s.passes, failed: s.failures, skipped: s.pending }));
      // Printed after the spec epilogue so it is the last line.
      process.nextTick(() => console.log(line));
    });
  }
}
module.exports = BerthReporter;
