import { expect } from 'chai';
import { Command } from 'commander';
import {
  addDeidOptions,
  deidArgs,
  deidSettings,
  driverSettings,
  parseDuration,
  parseWholeNumber,
  type DeidFlags,
} from '../../src/cli/run-options.js';
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

  it('reads a whole number of decimal digits in range, and refuses hex, exponents, blanks and fractions', () => {
    expect(parseWholeNumber('--concurrency', '16', 1, 256)).to.equal(16);
    for (const text of ['0x10', '1e2', '', ' 2', '2.5', '0', '257', '-1'])
      expect(
        codeOf(() => parseWholeNumber('--concurrency', text, 1, 256)),
        text,
      ).to.equal('BERTH_E_USAGE');
  });

  it('makes --bind and --ro-bind paths absolute and refuses a path that does not exist', () => {
    expect(driverSettings({ roBind: ['.'], writableInput: true })).to.deep.equal({
      writableInput: true,
      binds: [{ path: process.cwd(), writable: false }],
    });
    expect(codeOf(() => driverSettings({ bind: ['/no/such/berth/path'] }))).to.equal('BERTH_E_USAGE');
  });

  it('reads the --deidentify options into settings and prints them back as the same words', async () => {
    const words = [
      '--deidentify',
      '--no-modified-dates',
      '--patient-characteristics',
      '--device-identity',
      '--clean-descriptors',
      '--keep-private',
      'ACME 1',
      '--keep-private',
      'ACME 2',
      '--allow-burned-in',
    ];
    const cmd = addDeidOptions(new Command('x')).exitOverride();
    cmd.parse(words, { from: 'user' });
    const flags = cmd.opts<DeidFlags>();
    expect(deidArgs(flags)).to.deep.equal(words);
    const saved = process.env['BERTH_DEID_SECRET'];
    delete process.env['BERTH_DEID_SECRET'];
    try {
      const { secret, ...settings } = (await deidSettings(flags))!;
      expect(secret).to.have.length(32);
      expect(settings).to.deep.equal({
        secretSource: 'generated',
        retainModifiedDates: false,
        retainPatientCharacteristics: true,
        retainDeviceIdentity: true,
        cleanDescriptors: true,
        keepPrivateCreators: ['ACME 1', 'ACME 2'],
        allowBurnedIn: true,
      });
    } finally {
      if (saved !== undefined) process.env['BERTH_DEID_SECRET'] = saved;
    }
    expect(await deidSettings({})).to.equal(undefined);
    expect(deidArgs({})).to.deep.equal([]);
  });
});
