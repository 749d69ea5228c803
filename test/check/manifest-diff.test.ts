import { expect } from 'chai';
import { diffMachines } from '../../src/check/manifest-diff.js';
import { checkManifest, type MachineDefinition } from '../../src/check/manifest.js';
import type { JsonObject } from '../../src/manifest/document.js';
import { loadManifestText } from '../../src/manifest/load.js';

type Schema = Record<string, JsonObject>;

/** A valid manifest with these schemas (and extra labels), loaded and checked. */
function machine(schemaIn: Schema, schemaOut: Schema, extra: JsonObject = {}): MachineDefinition {
  const doc = {
    'metadata-version': 2,
    info: { name: 'diff-corpus' },
    'schema-in': schemaIn,
    'schema-out': schemaOut,
    ...extra,
  };
  const result = checkManifest(loadManifestText(JSON.stringify(doc), 'machine.json'));
  expect(result.findings.filter((f) => f.severity === 'error')).to.deep.equal([]);
  return result.definition;
}

const CT: JsonObject = { 'dicom-type': 'dicom-series', modalities: ['CT', 'MR'] };
const OUT: Schema = { score: { type: 'number' } };
const IN: Schema = { threshold: { type: 'number' } };

/** One pair of the corpus: old and new schemas, and every change expected as [change, path, breaking]. */
interface Pair {
  name: string;
  old: [Schema, Schema, JsonObject?];
  new: [Schema, Schema, JsonObject?];
  expected: [string, string, boolean][];
}

const CORPUS: Pair[] = [
  {
    name: 'an identical manifest has no change',
    old: [IN, OUT],
    new: [IN, OUT],
    expected: [],
  },
  {
    name: 'a removed input is breaking',
    old: [{ ...IN, age: { type: 'integer', nullable: true } }, OUT],
    new: [IN, OUT],
    expected: [['input removed', 'schema-in/age', true]],
  },
  {
    name: 'a new required input is breaking',
    old: [IN, OUT],
    new: [{ ...IN, age: { type: 'integer' } }, OUT],
    expected: [['input added', 'schema-in/age', true]],
  },
  {
    name: 'a new optional input is compatible',
    old: [IN, OUT],
    new: [{ ...IN, age: { type: 'integer', nullable: true } }, OUT],
    expected: [['input added', 'schema-in/age', false]],
  },
  {
    name: 'an optional input made required is breaking',
    old: [{ age: { type: 'integer', nullable: true } }, OUT],
    new: [{ age: { type: 'integer' } }, OUT],
    expected: [['nullable narrowed', 'schema-in/age', true]],
  },
  {
    name: 'a required input made optional is compatible',
    old: [{ age: { type: 'integer' } }, OUT],
    new: [{ age: { type: 'integer', nullable: true } }, OUT],
    expected: [['nullable widened', 'schema-in/age', false]],
  },
  {
    name: 'a removed output is breaking',
    old: [IN, { ...OUT, label: { type: 'string' } }],
    new: [IN, OUT],
    expected: [['output removed', 'schema-out/label', true]],
  },
  {
    name: 'a new output is compatible',
    old: [IN, OUT],
    new: [IN, { ...OUT, label: { type: 'string' } }],
    expected: [['output added', 'schema-out/label', false]],
  },
  {
    name: 'an output made nullable is breaking',
    old: [IN, OUT],
    new: [IN, { score: { type: 'number', nullable: true } }],
    expected: [['nullable widened', 'schema-out/score', true]],
  },
  {
    name: 'a changed kind is breaking',
    old: [IN, OUT],
    new: [IN, { score: { type: 'integer' } }],
    expected: [['kind changed', 'schema-out/score', true]],
  },
  {
    name: 'an input enum losing a value is breaking',
    old: [{ mode: { enum: ['fast', 'full'] } }, OUT],
    new: [{ mode: { enum: ['fast'] } }, OUT],
    expected: [['enum narrowed', 'schema-in/mode', true]],
  },
  {
    name: 'an input enum gaining a value is compatible',
    old: [{ mode: { enum: ['fast'] } }, OUT],
    new: [{ mode: { enum: ['fast', 'full'] } }, OUT],
    expected: [['enum widened', 'schema-in/mode', false]],
  },
  {
    name: 'an output enum gaining a value is breaking for readers',
    old: [IN, { grade: { enum: ['low', 'high'] } }],
    new: [IN, { grade: { enum: ['low', 'mid', 'high'] } }],
    expected: [['enum widened', 'schema-out/grade', true]],
  },
  {
    name: 'an output enum losing a value is compatible',
    old: [IN, { grade: { enum: ['low', 'mid', 'high'] } }],
    new: [IN, { grade: { enum: ['low', 'high'] } }],
    expected: [['enum narrowed', 'schema-out/grade', false]],
  },
  {
    name: 'an input enum with a value renamed is breaking',
    old: [{ mode: { enum: ['fast', 'full'] } }, OUT],
    new: [{ mode: { enum: ['fast', 'complete'] } }, OUT],
    expected: [['enum changed', 'schema-in/mode', true]],
  },
  {
    name: 'an input minimum raised is breaking',
    old: [{ threshold: { type: 'number', minimum: -1024 } }, OUT],
    new: [{ threshold: { type: 'number', minimum: 0 } }, OUT],
    expected: [['minimum narrowed', 'schema-in/threshold', true]],
  },
  {
    name: 'an input range widened on both ends is compatible',
    old: [{ threshold: { type: 'number', minimum: 0, maximum: 100 } }, OUT],
    new: [{ threshold: { type: 'number', minimum: -10, maximum: 200 } }, OUT],
    expected: [
      ['minimum widened', 'schema-in/threshold', false],
      ['maximum widened', 'schema-in/threshold', false],
    ],
  },
  {
    name: 'an output maximum raised is breaking',
    old: [IN, { score: { type: 'number', maximum: 1 } }],
    new: [IN, { score: { type: 'number', maximum: 100 } }],
    expected: [['maximum widened', 'schema-out/score', true]],
  },
  {
    name: 'an output range narrowed is compatible',
    old: [IN, { score: { type: 'number', minimum: 0, maximum: 100 } }],
    new: [IN, { score: { type: 'number', minimum: 0, maximum: 1 } }],
    expected: [['maximum narrowed', 'schema-out/score', false]],
  },
  {
    name: 'a changed input pattern is breaking',
    old: [{ id: { type: 'string', pattern: '^[A-Z]+$' } }, OUT],
    new: [{ id: { type: 'string', pattern: '^[a-z]+$' } }, OUT],
    expected: [['pattern changed', 'schema-in/id', true]],
  },
  {
    name: 'an input pattern dropped is compatible',
    old: [{ id: { type: 'string', pattern: '^[A-Z]+$' } }, OUT],
    new: [{ id: { type: 'string' } }, OUT],
    expected: [['pattern widened', 'schema-in/id', false]],
  },
  {
    name: 'an output maxLength dropped is breaking',
    old: [IN, { summary: { type: 'string', maxLength: 200 } }],
    new: [IN, { summary: { type: 'string' } }],
    expected: [['maxLength widened', 'schema-out/summary', true]],
  },
  {
    name: 'a modality removed from a DICOM input is breaking',
    old: [{ ct: CT }, OUT],
    new: [{ ct: { ...CT, modalities: ['CT'] } }, OUT],
    expected: [['modalities narrowed', 'schema-in/ct', true]],
  },
  {
    name: 'a transfer syntax constraint added to a DICOM input is breaking',
    old: [{ ct: CT }, OUT],
    new: [{ ct: { ...CT, 'transfer-syntax-uid': ['1.2.840.10008.1.2.1'] } }, OUT],
    expected: [['transfer-syntax-uid narrowed', 'schema-in/ct', true]],
  },
  {
    name: 'a SOP class constraint dropped from a DICOM input is compatible',
    old: [{ ct: { ...CT, 'sop-classes': ['1.2.840.10008.5.1.4.1.1.2'] } }, OUT],
    new: [{ ct: CT }, OUT],
    expected: [['sop-classes widened', 'schema-in/ct', false]],
  },
  {
    name: 'an instance count added to a DICOM input is breaking',
    old: [{ ct: CT }, OUT],
    new: [{ ct: { ...CT, 'series-related-instances': 3 } }, OUT],
    expected: [['series-related-instances narrowed', 'schema-in/ct', true]],
  },
  {
    name: 'an input array minItems raised is breaking, a maxItems raised is compatible',
    old: [{ xs: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: 5 } }, OUT],
    new: [{ xs: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 9 } }, OUT],
    expected: [
      ['minItems narrowed', 'schema-in/xs', true],
      ['maxItems widened', 'schema-in/xs', false],
    ],
  },
  {
    name: 'a change inside an array of objects is found at its nested path',
    old: [
      IN,
      { rows: { type: 'array', items: { type: 'object', properties: { area: { type: 'number' } } } } },
    ],
    new: [
      IN,
      { rows: { type: 'array', items: { type: 'object', properties: { area: { type: 'string' } } } } },
    ],
    expected: [['kind changed', 'schema-out/rows/[]/area', true]],
  },
  {
    name: 'an output ndarray dtype change is breaking',
    old: [IN, { mask: { type: 'ndarray', dtype: 'uint8', shape: [null, 512] } }],
    new: [IN, { mask: { type: 'ndarray', dtype: 'uint16', shape: [null, 512] } }],
    expected: [['dtype changed', 'schema-out/mask', true]],
  },
  {
    name: 'an input ndarray extent freed is compatible, an output one freed is breaking',
    old: [{ v: { type: 'ndarray', shape: [3, 512] } }, { mask: { type: 'ndarray', shape: [3, 512] } }],
    new: [{ v: { type: 'ndarray', shape: [3, null] } }, { mask: { type: 'ndarray', shape: [3, null] } }],
    expected: [
      ['shape widened', 'schema-in/v', false],
      ['shape widened', 'schema-out/mask', true],
    ],
  },
  {
    name: 'timeout, network and GPU changes are compatible but listed',
    old: [IN, OUT, { timeout: 30 }],
    new: [IN, OUT, { timeout: 10, network: true, nvidia: true }],
    expected: [
      ['timeout changed', 'timeout', false],
      ['network changed', 'network', false],
      ['nvidia changed', 'nvidia', false],
    ],
  },
  {
    name: 'info and title changes are compatible',
    old: [{ threshold: { type: 'number', title: 'T' } }, OUT],
    new: [{ threshold: { type: 'number', title: 'Threshold' } }, OUT, { info: { name: 'diff-corpus-2' } }],
    expected: [
      ['title changed', 'schema-in/threshold', false],
      ['info changed', 'info/name', false],
    ],
  },
];

describe('berth diff: classifying manifest changes', () => {
  it('has a corpus of at least 20 pairs, breaking and compatible', () => {
    expect(CORPUS.length).to.be.at.least(20);
    const all = CORPUS.flatMap((p) => p.expected.map((e) => e[2]));
    expect(all).to.include(true).and.to.include(false);
  });

  for (const pair of CORPUS) {
    it(pair.name, () => {
      const a = machine(...pair.old);
      const b = machine(...pair.new);
      const changes = diffMachines(a, b).map((c) => [c.change, c.path, c.breaking]);
      expect(changes).to.deep.equal(pair.expected);
    });
  }

  it('says why, with the old and new values', () => {
    const [c] = diffMachines(
      machine({ mode: { enum: ['fast', 'full'] } }, OUT),
      machine({ mode: { enum: ['fast'] } }, OUT),
    );
    expect(c!.why).to.contain('["fast","full"] → ["fast"]').and.to.contain('may be refused');
  });
});
