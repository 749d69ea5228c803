import { expect } from 'chai';
import fc from 'fast-check';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileHandle } from '../../src/kinds/file-handle.js';
import { ndarray, type NdArray } from '../../src/ndarray/ndarray.js';
import { openMachine, type Machine } from '../../src/sdk/machine.js';
import { machineFixture, type MachineFixture } from '../support/sdk-tree.js';
import { removeDir } from '../support/temp.js';
import { codeOfAsync } from '../support/codes.js';

const RUNS = 150;

/** Doubles that are finite (NaN and ±Infinity have no text form). */
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const wellFormed = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => s.isWellFormed());

describe('sdk: write → read round trips (fast-check)', function () {
  this.timeout(60000);
  let fx: MachineFixture;
  let writer: Machine;
  let reader: Machine;

  before(async () => {
    fx = await machineFixture('roundtrip');
    writer = await openMachine({ ...fx, captureErrors: false });
    // The second machine reads what the first wrote.
    reader = await openMachine({
      ...fx,
      input: fx.output,
      output: path.join(fx.dir, 'unused'),
      captureErrors: false,
    });
  });
  after(() => removeDir(fx.dir));

  async function roundTrip<T>(name: string, value: T): Promise<unknown> {
    await writer.outputs.set(name, value);
    return reader.inputs.get(name);
  }

  it('string (byte for byte, any well-formed Unicode, nullable)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(wellFormed, { nil: undefined }), async (s) => {
        expect(await roundTrip('note', s)).to.equal(s);
      }),
      { numRuns: RUNS },
    );
  });

  it('string with maxLength, counted in code points', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme-ascii', maxLength: 20 }), async (s) => {
        expect(await roundTrip('name', s)).to.equal(s);
      }),
      { numRuns: RUNS },
    );
  });

  it('enum', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('cat', 'dog'), async (s) => {
        expect(await roundTrip('label', s)).to.equal(s);
      }),
      { numRuns: 20 },
    );
  });

  it('date-time (every millisecond of the years 0000–9999)', async () => {
    const min = new Date('0000-01-01T00:00:00.000Z');
    const max = new Date('9999-12-31T23:59:59.999Z');
    await fc.assert(
      fc.asyncProperty(fc.date({ min, max, noInvalidDate: true }), async (d) => {
        const back = (await roundTrip('when', d)) as Date;
        expect(back.getTime()).to.equal(d.getTime());
      }),
      { numRuns: RUNS },
    );
  });

  it('boolean', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), async (b) => {
        expect(await roundTrip('flag', b)).to.equal(b);
      }),
      { numRuns: 20 },
    );
  });

  it('integer, bounded (count) and any safe integer (scores items)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), fc.maxSafeInteger(), async (count, big) => {
        expect(await roundTrip('count', count)).to.equal(count);
        expect(await roundTrip('scores', [big])).to.deep.equal([big]);
      }),
      { numRuns: RUNS },
    );
  });

  it('number: every finite double reads back identical (-0 included)', async () => {
    await fc.assert(
      fc.asyncProperty(finite, async (n) => {
        expect(Object.is(await roundTrip('ratio', n), n), String(n)).to.equal(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('percentage: every fraction in [0, 1] reads back identical', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 1, noNaN: true }), async (f) => {
        expect(await roundTrip('score', f)).to.equal(f);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('file bytes (application/octet-stream)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), async (bytes) => {
        const h = (await roundTrip('blob', Buffer.from(bytes))) as FileHandle;
        expect(h.size).to.equal(bytes.length);
        expect(Buffer.compare(await h.read(), Buffer.from(bytes))).to.equal(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('ndarray uint8 [n, 2]', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 50 }).chain((n) => fc.uint8Array({ minLength: 2 * n, maxLength: 2 * n })),
        async (values) => {
          const arr = ndarray('uint8', [values.length / 2, 2], values);
          const back = (await roundTrip('mask.npy', arr)) as NdArray;
          expect(back.shape).to.deep.equal(arr.shape);
          expect([...back.data]).to.deep.equal([...values]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('arrays of integers, of objects and of arrays', async () => {
    const lesion = fc.record({ slice: fc.integer(), area: finite.map((n) => (Object.is(n, -0) ? 0 : n)) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.maxSafeInteger(), { minLength: 1, maxLength: 5 }),
        fc.array(lesion, { maxLength: 12 }),
        fc.array(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 4 }), { maxLength: 12 }),
        async (scores, lesions, grid) => {
          expect(await roundTrip('scores', scores)).to.deep.equal(scores);
          expect(await roundTrip('lesions', lesions)).to.deep.equal(lesions);
          expect(await roundTrip('grid', grid)).to.deep.equal(grid);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('objects, nested, with a nullable member present or absent', async () => {
    const patient = fc.record(
      {
        age: fc.maxSafeInteger(),
        sex: fc.constantFrom('F', 'M'),
        nickname: wellFormed,
        extra: fc.record({ height: fc.double({ min: 0, max: 3, noNaN: true }) }),
      },
      { requiredKeys: ['age', 'sex', 'extra'] },
    );
    await fc.assert(
      fc.asyncProperty(patient, async (p) => {
        expect(await roundTrip('patient', p)).to.deep.equal(p);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('sdk: text value files around the 4 KiB first read', () => {
  let fx: MachineFixture;
  let m: Machine;
  before(async () => {
    fx = await machineFixture('textsize');
    await mkdir(fx.output, { recursive: true });
    m = await openMachine({ ...fx, input: fx.output, captureErrors: false });
  });
  after(() => removeDir(fx.dir));

  for (const size of [0, 1, 4095, 4096, 4097, 8192, 100_000]) {
    it(`reads a ${size}-byte string exactly`, async () => {
      const text = 'é'.repeat(Math.floor(size / 2)) + (size % 2 ? 'x' : '');
      expect(Buffer.byteLength(text)).to.equal(size);
      await writeFile(path.join(fx.output, 'note'), text);
      expect(await m.inputs.get('note')).to.equal(text);
    });
  }

  it('refuses UTF-8 broken across the 4 KiB boundary, and a 16 MiB + 1 value before reading it', async () => {
    const bytes = Buffer.concat([Buffer.alloc(4095, 0x61), Buffer.from([0xc3]), Buffer.alloc(10, 0x61)]);
    await writeFile(path.join(fx.output, 'note'), bytes);
    expect(await codeOfAsync(m.inputs.get('note'))).to.equal('BERTH_E_NOT_UTF8');
    await writeFile(path.join(fx.output, 'note'), '');
    await truncate(path.join(fx.output, 'note'), 16 * 1024 * 1024 + 1);
    expect(await codeOfAsync(m.inputs.get('note'))).to.equal('BERTH_E_VALUE_TOO_LARGE');
  });
});
