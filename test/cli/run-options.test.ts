import { expect } from 'chai';
import { driverSettings, parseDuration } from '../../src/cli/run-options.js';
import { MAX_TIMEOUT_MINUTES } from '../../src/manifest/manifest.js';
import { codeOf } from '../support/codes.js';

describe('cli: run options', () => {
  it('reads 600h as 600 hours, beyond the 2³¹ ms a single Node timer holds', () => {
    expect(parseDuration('600h')).to.equal(600 * 3_600_000);
  });

  it('accepts exactly the maximum timeout and refuses anything longer with BERTH_E_USAGE', () => {
    expect(parseDuration(`${MAX_TIMEOUT_MINUTES}`)).to.equal(MAX_TIMEOUT_MINUTES * 60_000);
    expect(parseDuration('720h')).to.equal(MAX_TIMEOUT_MINUTES * 60_000);
    expect(codeOf(() => parseDuration('721h'))).to.equal('BERTH_E_USAGE');
    expect(codeOf(() => parseDuration('99999999999999999999'))).to.equal('BERTH_E_USAGE');
  });

  it('refuses inf, zero and words', () => {
    for (const t of ['inf', '.inf', 'Infinity', '0', '0s', 'soon'])
      expect(
        codeOf(() => parseDuration(t)),
        t,
      ).to.equal('BERTH_E_USAGE');
  });

  it('makes --bind and --ro-bind paths absolute and refuses a path that does not exist', () => {
    expect(driverSettings({ roBind: ['.'], writableInput: true })).to.deep.equal({
      writableInput: true,
      binds: [{ path: process.cwd(), writable: false }],
    });
    expect(codeOf(() => driverSettings({ bind: ['/no/such/berth/path'] }))).to.equal('BERTH_E_USAGE');
  });
});
