import { expect } from 'chai';
import path from 'node:path';
import { compareOutputs } from '../../../src/harness/compare/index.js';
import { Outputs } from '../../../src/sdk/outputs.js';
import { at, machine, writeTree } from './helpers.js';
import { removeDir, tempDir } from '../../support/temp.js';

const SCHEMA = {
  name: { type: 'string' },
  label: { enum: ['cat', 'dog'] },
  when: { type: 'date-time' },
  flag: { type: 'boolean' },
  count: { type: 'integer' },
  ratio: { type: 'number' },
  score: { type: 'percentage' },
  note: { type: 'string', nullable: true },
  patient: { type: 'object', properties: { age: { type: 'integer' }, sex: { enum: ['F', 'M'] } } },
  measurements: {
    type: 'array',
    items: { type: 'object', properties: { slice: { type: 'integer' }, 'area-mm2': { type: 'number' } } },
  },
  survival: { type: 'survival' },
};

const GOOD: Record<string, string> = {
  name: 'Ada',
  label: 'cat\n',
  when: '2017-05-27T03:40:40Z',
  flag: 'True',
  count: '42',
  ratio: '3.5',
  score: '85%',
  'patient/age': '61',
  'patient/sex': 'F',
  'measurements/0/slice': '4',
  'measurements/0/area-mm2': '1.5',
  'measurements/1/slice': '9',
  'measurements/1/area-mm2': '200',
  'survival/event': 'True',
  'survival/time': '12.5',
};

describe('harness/compare: primitives, objects and arrays', () => {
  let dir: string;
  let expected: string;
  let actual: string;
  const def = machine(SCHEMA);

  beforeEach(async () => {
    dir = await tempDir();
    expected = path.join(dir, 'expected');
    actual = path.join(dir, 'actual');
    await writeTree(expected, GOOD);
  });
  afterEach(() => removeDir(dir));

  it('passes every kind when the trees are equal, with one comparison per leaf', async () => {
    await writeTree(actual, GOOD);
    const cs = await compareOutputs(def, expected, actual, { tolerances: {} });
    expect(cs.map((c) => c.path)).to.deep.equal([
      'name',
      'label',
      'when',
      'flag',
      'count',
      'ratio',
      'score',
      'patient/age',
      'patient/sex',
      'measurements/0/slice',
      'measurements/0/area-mm2',
      'measurements/1/slice',
      'measurements/1/area-mm2',
      'survival/event',
      'survival/time',
    ]);
    expect(cs.filter((c) => !c.passed)).to.deep.equal([]);
    expect(at(cs, 'name')).to.include({ method: 'exact', kind: 'string', property: 'schema-out/name' });
    expect(at(cs, 'ratio').method).to.equal('numeric');
    expect(at(cs, 'measurements/1/area-mm2').property).to.equal('schema-out/measurements/[]/area-mm2');
  });

  it('accepts trees written by the SDK', async () => {
    const out = new Outputs(actual, def.outputs, {});
    await out.set('name', 'Ada');
    await out.set('label', 'cat');
    await out.set('when', new Date('2017-05-27T03:40:40Z'));
    await out.set('flag', true);
    await out.set('count', 42);
    await out.set('ratio', 3.5);
    await out.set('score', 0.85);
    await out.set('patient', { age: 61, sex: 'F' });
    await out.set('measurements', [
      { slice: 4, 'area-mm2': 1.5 },
      { slice: 9, 'area-mm2': 200 },
    ]);
    await out.set('survival', { event: true, time: 12.5 });
    const cs = await compareOutputs(def, expected, actual, { tolerances: {} });
    expect(cs.filter((c) => !c.passed)).to.deep.equal([]);
    expect(cs).to.have.length(15);
  });

  it('fails every kind that differs, saying what was expected and found', async () => {
    await writeTree(actual, {
      ...GOOD,
      name: 'Ada\n', // strings compare byte for byte
      label: 'dog',
      when: '2017-05-27T03:40:41Z',
      flag: 'False',
      count: '43',
      ratio: '3.6',
      score: '86%',
      'patient/sex': 'M',
      'survival/event': 'False',
    });
    const cs = await compareOutputs(def, expected, actual, { tolerances: {} });
    const failedPaths = cs.filter((c) => !c.passed).map((c) => c.path);
    expect(failedPaths).to.deep.equal([
      'name',
      'label',
      'when',
      'flag',
      'count',
      'ratio',
      'score',
      'patient/sex',
      'survival/event',
    ]);
    expect(at(cs, 'label')).to.include({ expected: 'cat', actual: 'dog', message: 'The values differ' });
    expect(at(cs, 'ratio').metrics).to.include({ absDiff: 0.10000000000000009 });
    expect(at(cs, 'score').metrics).to.include({ unit: 'fraction' });
  });

  it('compares date-times as instants and says so', async () => {
    await writeTree(actual, { ...GOOD, when: '2017-05-27T05:40:40.000+02:00' });
    const c = at(await compareOutputs(def, expected, actual, { tolerances: {} }), 'when');
    expect(c.passed).to.equal(true);
    expect(c.metrics).to.deep.equal({
      comparedAs: 'instant',
      expectedInstant: '2017-05-27T03:40:40.000Z',
      actualInstant: '2017-05-27T03:40:40.000Z',
    });
    expect(c.actual).to.equal('2017-05-27T05:40:40.000+02:00');
  });

  it('compares decoded values: 3.50 equals 3.5, 85.0% equals 85%', async () => {
    await writeTree(actual, { ...GOOD, ratio: '3.50\n', score: '85.0%' });
    const cs = await compareOutputs(def, expected, actual, { tolerances: {} });
    expect(at(cs, 'ratio').passed).to.equal(true);
    expect(at(cs, 'score').passed).to.equal(true);
  });

  describe('numeric tolerances', () => {
    async function ratio(actualText: string, tolerance: object): Promise<boolean> {
      await writeTree(actual, { ...GOOD, ratio: actualText });
      const cs = await compareOutputs(def, expected, actual, { tolerances: { ratio: tolerance } });
      return at(cs, 'ratio').passed;
    }

    it('honours abs: |a − e| ≤ abs', async () => {
      expect(await ratio('3.55', { abs: 0.05 })).to.equal(true);
      expect(await ratio('3.45', { abs: 0.05 })).to.equal(true);
      expect(await ratio('3.56', { abs: 0.05 })).to.equal(false);
    });

    it('honours rel: |a − e| ≤ rel·|e|', async () => {
      expect(await ratio('3.535', { rel: 0.01 })).to.equal(true); // on the boundary: inclusive
      expect(await ratio('3.53', { rel: 0.01 })).to.equal(true);
      expect(await ratio('3.54', { rel: 0.01 })).to.equal(false);
    });

    it('adds abs and rel as numpy isclose does', async () => {
      expect(await ratio('3.585', { abs: 0.05, rel: 0.01 })).to.equal(true);
      expect(await ratio('3.59', { abs: 0.05, rel: 0.01 })).to.equal(false);
    });

    it('reports the difference and the allowance', async () => {
      await writeTree(actual, { ...GOOD, ratio: '4' });
      const c = at(
        await compareOutputs(def, expected, actual, { tolerances: { ratio: { abs: 0.1 } } }),
        'ratio',
      );
      expect(c.passed).to.equal(false);
      expect(c.metrics).to.deep.include({ absDiff: 0.5, allowed: 0.1 });
      expect(c.tolerance).to.deep.equal({ abs: 0.1 });
      expect(c.message).to.match(/exceeds/);
    });

    it('compares percentages as fractions: abs 0.01 is one percentage point', async () => {
      await writeTree(actual, { ...GOOD, score: '86%' });
      let c = at(
        await compareOutputs(def, expected, actual, { tolerances: { score: { abs: 0.01 } } }),
        'score',
      );
      expect(c.passed).to.equal(true);
      await writeTree(actual, { ...GOOD, score: '86.5%' });
      c = at(await compareOutputs(def, expected, actual, { tolerances: { score: { abs: 0.01 } } }), 'score');
      expect(c.passed).to.equal(false);
      expect(c.metrics?.['absDiff']).to.be.closeTo(0.015, 1e-12);
    });

    it('compares an integer numerically once its tolerance sets abs', async () => {
      await writeTree(actual, { ...GOOD, count: '43' });
      const c = at(
        await compareOutputs(def, expected, actual, { tolerances: { count: { abs: 1 } } }),
        'count',
      );
      expect(c).to.include({ method: 'numeric', passed: true });
    });

    it('applies array item tolerances by schema path to every item', async () => {
      await writeTree(actual, {
        ...GOOD,
        'measurements/0/area-mm2': '1.6',
        'measurements/1/area-mm2': '201',
      });
      const cs = await compareOutputs(def, expected, actual, {
        tolerances: new Map([['measurements/[]/area-mm2', { abs: 0.2 }]]),
      });
      expect(at(cs, 'measurements/0/area-mm2').passed).to.equal(true);
      expect(at(cs, 'measurements/1/area-mm2').passed).to.equal(false);
    });
  });

  describe('tolerance precedence', () => {
    const withManifest = machine({
      ...SCHEMA,
      ratio: { type: 'number', berth: { tolerance: { abs: 0.5, rel: 0.1 } } },
    });

    it('uses the manifest tolerance when the case gives none', async () => {
      await writeTree(actual, { ...GOOD, ratio: '4.2' }); // 0.7 ≤ 0.5 + 0.35
      const c = at(await compareOutputs(withManifest, expected, actual, { tolerances: {} }), 'ratio');
      expect(c.passed).to.equal(true);
      expect(c.tolerance).to.deep.equal({ abs: 0.5, rel: 0.1 });
    });

    it('lets the case override it field by field', async () => {
      await writeTree(actual, { ...GOOD, ratio: '4.2' });
      const c = at(
        await compareOutputs(withManifest, expected, actual, { tolerances: { ratio: { abs: 0.1 } } }),
        'ratio',
      );
      expect(c.tolerance).to.deep.equal({ abs: 0.1, rel: 0.1 });
      expect(c.passed).to.equal(false); // 0.7 > 0.1 + 0.35
    });

    it('accepts the schema-out/ form of a key and lets a concrete path win over the schema path', async () => {
      await writeTree(actual, {
        ...GOOD,
        'measurements/0/area-mm2': '1.6',
        'measurements/1/area-mm2': '201',
      });
      const cs = await compareOutputs(def, expected, actual, {
        tolerances: {
          'schema-out/measurements/[]/area-mm2': { abs: 0.2 },
          'measurements/1/area-mm2': { abs: 2 },
        },
      });
      expect(at(cs, 'measurements/0/area-mm2')).to.deep.include({ passed: true, tolerance: { abs: 0.2 } });
      expect(at(cs, 'measurements/1/area-mm2')).to.deep.include({ passed: true, tolerance: { abs: 2 } });
    });

    it('fails a comparison whose tolerance is malformed, naming its source', async () => {
      await writeTree(actual, GOOD);
      const bad = machine({ ...SCHEMA, ratio: { type: 'number', berth: { tolerance: { abs: -1 } } } });
      const c = at(await compareOutputs(bad, expected, actual, { tolerances: {} }), 'ratio');
      expect(c.passed).to.equal(false);
      expect(c.message).to.match(/manifest's berth.tolerance of schema-out\/ratio.*abs must be a number ≥ 0/);
      const cs = await compareOutputs(def, expected, actual, {
        tolerances: { ratio: { absolute: 1 } as object },
      });
      expect(at(cs, 'ratio').message).to.match(/unknown tolerance field absolute/);
    });

    it('fails a case tolerance that names no output property', async () => {
      await writeTree(actual, GOOD);
      const cs = await compareOutputs(def, expected, actual, { tolerances: { ratoi: { abs: 1 } } });
      expect(at(cs, 'ratoi')).to.include({ passed: false, kind: 'unknown' });
      expect(cs.filter((c) => !c.passed)).to.have.length(1);
    });
  });

  describe('forced methods', () => {
    it('method presence only asks that the output exists, for leaves and containers', async () => {
      await writeTree(actual, {
        ...GOOD,
        when: '2020-01-01T00:00:00Z',
        'patient/age': '1',
        'patient/sex': 'M',
      });
      const cs = await compareOutputs(def, expected, actual, {
        tolerances: { when: { method: 'presence' }, patient: { method: 'presence' } },
      });
      expect(at(cs, 'when')).to.include({ method: 'presence', passed: true });
      expect(at(cs, 'patient')).to.include({ method: 'presence', passed: true });
      expect(cs.some((c) => c.path.startsWith('patient/'))).to.equal(false);
    });

    it('method hash compares a value file byte for byte', async () => {
      await writeTree(actual, { ...GOOD, ratio: '3.50' });
      const c = at(
        await compareOutputs(def, expected, actual, { tolerances: { ratio: { method: 'hash' } } }),
        'ratio',
      );
      expect(c).to.include({ method: 'hash', passed: false });
    });

    it('refuses a method that cannot compare the kind', async () => {
      await writeTree(actual, GOOD);
      const c = at(
        await compareOutputs(def, expected, actual, { tolerances: { name: { method: 'numeric' } } }),
        'name',
      );
      expect(c.passed).to.equal(false);
      expect(c.message).to.match(/method numeric cannot compare a string/);
    });
  });

  describe('presence', () => {
    it('fails an expected output missing from the actual tree', async () => {
      const { ratio: _ratio, ...rest } = GOOD;
      await writeTree(actual, rest);
      const c = at(await compareOutputs(def, expected, actual, { tolerances: {} }), 'ratio');
      expect(c).to.include({ method: 'presence', passed: false, expected: 'present', actual: 'absent' });
    });

    it('fails every expected output when the actual tree does not exist', async () => {
      const cs = await compareOutputs(def, expected, path.join(dir, 'nowhere'), { tolerances: {} });
      expect(cs.map((c) => c.path)).to.deep.equal([
        'name',
        'label',
        'when',
        'flag',
        'count',
        'ratio',
        'score',
        'patient',
        'measurements',
        'survival',
      ]);
      expect(cs.every((c) => !c.passed && c.method === 'presence')).to.equal(true);
    });

    it('does not compare what the expected tree lacks', async () => {
      await writeTree(actual, { ...GOOD, note: 'extra' });
      const cs = await compareOutputs(def, expected, actual, { tolerances: {} });
      expect(cs.some((c) => c.path === 'note')).to.equal(false);
    });

    it('fails an array of another length once, and compares the common items', async () => {
      const { 'measurements/1/slice': _s, 'measurements/1/area-mm2': _a, ...rest } = GOOD;
      await writeTree(actual, { ...rest, 'measurements/0/slice': '5' });
      const cs = await compareOutputs(def, expected, actual, { tolerances: {} });
      expect(at(cs, 'measurements')).to.deep.include({
        passed: false,
        method: 'presence',
        kind: 'array',
        metrics: { expectedLength: 2, actualLength: 1 },
      });
      expect(at(cs, 'measurements/0/slice').passed).to.equal(false);
      expect(cs.some((c) => c.path.startsWith('measurements/1'))).to.equal(false);
    });

    it('fails, without throwing, an actual entry of the wrong type or text', async () => {
      const { 'patient/age': _age, ...rest } = GOOD;
      await writeTree(actual, { ...rest, count: 'forty-two', 'patient/age/0': '1' });
      const cs = await compareOutputs(def, expected, actual, { tolerances: {} });
      expect(at(cs, 'count').message).to.match(/actual value cannot be read.*not an integer/);
      expect(at(cs, 'patient/age').message).to.match(/actual entry is a directory/);
    });

    it('throws for a missing expected tree', async () => {
      let thrown: unknown;
      await compareOutputs(def, path.join(dir, 'none'), actual).catch((e: unknown) => (thrown = e));
      expect(thrown).to.have.property('code', 'BERTH_E_NOT_FOUND');
    });
  });
});
