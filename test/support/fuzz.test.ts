import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { BerthError, toBerthError } from '../../src/errors.js';
import { WireDecodeError } from '../../src/wire/case.js';
import { removeDir, tempDir } from './temp.js';
import { fuzz, thrownProblem } from './fuzz.js';

describe('test/support/fuzz: the property every fuzzed decoder must keep', () => {
  it('accepts a BerthError with a catalogued code, and a WireDecodeError whose problems all have one', () => {
    expect(thrownProblem(new BerthError('BERTH_E_JSON_SYNTAX', 'bad'))).to.equal(undefined);
    const problems = [new BerthError('BERTH_E_VALUE_TYPE', 'x', { path: '/a' })];
    expect(thrownProblem(new WireDecodeError(problems, false))).to.equal(undefined);
  });

  it('refuses other exceptions, uncatalogued codes and BERTH_E_INTERNAL', () => {
    expect(thrownProblem(new TypeError('x is undefined'))).to.match(/^threw TypeError/);
    expect(thrownProblem('a string')).to.match(/^threw string/);
    const odd = Object.assign(new Error('odd'), { name: 'BerthError', code: 'BERTH_E_NOPE' });
    expect(thrownProblem(odd)).to.match(/uncatalogued code BERTH_E_NOPE/);
    expect(thrownProblem(new BerthError('BERTH_E_INTERNAL', 'oops'))).to.match(/^BERTH_E_INTERNAL/);
    const inside = new WireDecodeError([new BerthError('BERTH_E_INTERNAL', 'oops', { path: '/b' })], false);
    expect(thrownProblem(inside)).to.match(/^BERTH_E_INTERNAL/);
  });

  it('refuses a programming error wrapped in a BerthError, by its cause or its text, unless the target names it a library error', () => {
    let engine: unknown;
    try {
      void (undefined as unknown as { x: number }).x;
    } catch (e) {
      engine = e;
    }
    const wrapped = toBerthError(engine, 'BERTH_E_WIRE_FORMAT');
    expect(thrownProblem(wrapped)).to.match(/carrying an engine error/);
    const quiet = new BerthError('BERTH_E_IO', 'Cannot read the file', { cause: engine });
    expect(thrownProblem(quiet)).to.match(/wraps a TypeError/);
    const lib = new BerthError(
      'BERTH_E_WIRE_FORMAT',
      'Library: Offset is outside the bounds of the DataView',
    );
    expect(thrownProblem(lib)).to.match(/engine error/);
    expect(thrownProblem(lib, /^Library: /)).to.equal(undefined);
  });

  it('fails a target with the shrunk input, saved, and how to replay it', async () => {
    const dir = await tempDir('fuzz-self');
    const keys = ['BERTH_FUZZ_ONLY', 'BERTH_FUZZ_REPLAY', 'BERTH_FUZZ_PATH', 'BERTH_FUZZ_OUT'];
    const saved = keys.map((k) => [k, process.env[k]] as const);
    for (const k of keys) delete process.env[k];
    process.env['BERTH_FUZZ_OUT'] = dir;
    let message = '';
    try {
      await fuzz({
        name: 'self-test',
        quickRuns: 50,
        arbitrary: fc.uint8Array({ maxLength: 8 }).map((bytes) => ({ bytes, variant: 'v' })),
        run: (c) => {
          if (c.bytes.length > 2) throw new RangeError('too long');
        },
      });
    } catch (e) {
      message = (e as Error).message;
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(message).to.match(/^self-test \(v\): threw RangeError/);
    expect(message).to.include('input (3 bytes');
    const file = /BERTH_FUZZ_REPLAY=(\S+self-test\.\d+\.json)/.exec(message)?.[1];
    expect(file?.startsWith(dir)).to.equal(true);
    const json = JSON.parse(readFileSync(file!, 'utf8')) as { target: string; base64: string };
    expect(json.target).to.equal('self-test');
    expect(Buffer.from(json.base64, 'base64')).to.have.length(3);
    await removeDir(dir);
  });
});
