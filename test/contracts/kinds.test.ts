/**
 * The kind contract suite (issue 13 item 7): every entry of KINDS, through every facet and every
 * layer that asks a kind something, from one fixture manifest with a line per kind
 * (./every-kind.ts). A new kind is tested here by adding its fixture line.
 */
import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkManifest, type MachineDefinition } from '../../src/check/manifest.js';
import { checkTree } from '../../src/check/tree.js';
import { compareOutputs } from '../../src/harness/compare/index.js';
import { materialiseValues } from '../../src/harness/materialise.js';
import { synthTree } from '../../src/harness/synth-tree.js';
import { COMPARE_METHODS, type Property, type ValueModelType } from '../../src/kinds/kind.js';
import { KINDS, kindOf, TYPE_VALUES } from '../../src/kinds/registry.js';
import { generateTypes } from '../../src/kinds/typescript.js';
import { loadManifestText } from '../../src/manifest/load.js';
import { sideSchema } from '../../src/serve/http/json-schema.js';
import { encodeTreeJson, encodeTreeMsgpack } from '../../src/wire/case-encode.js';
import { decodeTreeJson, decodeTreeMsgpack } from '../../src/wire/case-decode.js';
import { removeDir, tempDir } from '../support/temp.js';
import { EVERY_KIND, everyKindManifest, PNG_1X1, propertyName, type KindLine } from './every-kind.js';

const MODELS: readonly ValueModelType[] = [
  'text',
  'category',
  'boolean',
  'integer',
  'number',
  'date-time',
  'tensor',
  'media',
  'record',
  'list',
  'dicom-instance',
  'dicom-collection',
];

function definition(): MachineDefinition {
  const check = checkManifest(loadManifestText(everyKindManifest(), 'machine.json'));
  const errors = check.findings.filter((f) => f.severity === 'error');
  expect(errors, JSON.stringify(errors)).to.deep.equal([]);
  if (!check.definition) throw new Error('the every-kind manifest has no definition');
  return check.definition;
}

function propertyOf(def: MachineDefinition, line: KindLine): Property {
  const p = def.inputs.find((q) => q.name === propertyName(line));
  if (!p) throw new Error(`no property for ${line.kind}`);
  return p;
}

describe('kind contracts (every kind of the registry, through every facet)', () => {
  let def: MachineDefinition;
  let tmp: string;

  before(async () => {
    def = definition();
    tmp = await tempDir('contracts');
    await writeFile(path.join(tmp, 'pixel.png'), PNG_1X1);
  });
  after(() => removeDir(tmp));

  it('has a fixture line for every kind of the registry, and none for a kind it does not have', () => {
    expect(EVERY_KIND.map((l) => l.kind)).to.have.members(KINDS.map((k) => k.name));
  });

  it('every kind is registered once, and TYPE_VALUES lists the kinds recognised by `type`', () => {
    const names = KINDS.map((k) => k.name);
    expect(new Set(names).size).to.equal(names.length);
    for (const k of KINDS) expect(TYPE_VALUES.includes(k.name as never)).to.equal(k.recognisedBy === 'type');
  });

  for (const line of EVERY_KIND) {
    describe(`${line.kind}`, () => {
      it('is recognised by exactly its own kind and defined without findings', () => {
        const claims = KINDS.filter((k) => k.recognise(line.def)).map((k) => k.name);
        expect(claims).to.deep.equal([line.kind]);
        expect(propertyOf(def, line).kind).to.equal(line.kind);
      });

      it('names its keywords, and has a label', () => {
        const kind = kindOf(line.kind as Property['kind']);
        for (const key of Object.keys(line.def)) {
          if (['type', 'title', 'description', 'nullable'].includes(key)) continue;
          expect(Object.keys(kind.keywords), key).to.include(key);
        }
        expect(kind.label(propertyOf(def, line)))
          .to.be.a('string')
          .and.not.equal('');
      });

      it('stores its value in a way that agrees with its layout shape', () => {
        const kind = kindOf(line.kind as Property['kind']);
        const storage = kind.storage;
        if (storage.form === 'text' || storage.form === 'leaf') expect(kind.shape).to.equal('file');
        else if (storage.form === 'container') expect(['object', 'array']).to.include(kind.shape);
        else expect(kind.shape).to.equal(storage.level === 'instance' ? 'file' : `dicom-${storage.level}`);
      });

      it('has a value model the protocol adapters know', () => {
        const model = kindOf(line.kind as Property['kind']).model(propertyOf(def, line));
        expect(MODELS).to.include(model.type);
      });

      it('accepts its default method and presence, and only methods berth has', () => {
        const p = propertyOf(def, line);
        const c = kindOf(p.kind).comparison;
        expect(c.accepts).to.include('presence');
        for (const m of c.accepts) expect(COMPARE_METHODS).to.include(m);
        for (const t of [{}, { abs: 1 }, { dice: 0.5 }]) {
          const m = c.defaultMethod(p, t);
          if (m !== undefined) expect(c.accepts, JSON.stringify(t)).to.include(m);
          else expect(kindOf(p.kind).storage.form).to.equal('container');
        }
      });

      it('is typed in the generated TypeScript module, read and written', () => {
        const ts = generateTypes({ inputs: def.inputs, outputs: def.outputs });
        expect(ts).to.match(new RegExp(`\\b${propertyName(line)}\\??:`));
      });
    });
  }

  describe('the layers, on one tree holding every kind', () => {
    let synthDir: string;
    let caseDir: string;

    before(async function () {
      this.timeout(60_000);
      synthDir = path.join(tmp, 'synth');
      caseDir = path.join(tmp, 'case');
    });

    it('synthesises a tree with a value of every kind that checks clean (synthesis, storage, check)', async function () {
      this.timeout(60_000);
      const r = await synthTree(def, 'in', synthDir, { seed: 11 });
      expect(r.findings, JSON.stringify(r.findings)).to.deep.equal([]);
      for (const line of EVERY_KIND) {
        const name = propertyName(line);
        expect(
          r.files.some((f) => f === name || f.startsWith(`${name}/`)),
          line.kind,
        ).to.equal(true);
      }
    });

    it('materialises a case value of every kind through the validating writers (case value)', async function () {
      this.timeout(60_000);
      const values = Object.fromEntries(EVERY_KIND.map((l) => [propertyName(l), l.caseValue]));
      await materialiseValues(def.inputs, values, caseDir, { baseDir: tmp });
      const findings = await checkTree(def, 'in', caseDir);
      expect(findings, JSON.stringify(findings)).to.deep.equal([]);
    });

    it('compares the tree with itself: every kind passes with its default method (comparison)', async function () {
      this.timeout(60_000);
      const out = await compareOutputs(def, caseDir, caseDir);
      const failed = out.filter((c) => !c.passed);
      expect(failed, JSON.stringify(failed)).to.deep.equal([]);
      for (const line of EVERY_KIND) {
        expect(
          out.some((c) => c.property.startsWith(`schema-out/${propertyName(line)}`)),
          line.kind,
        ).to.equal(true);
      }
    });

    it('round-trips every kind through the JSON document, which its JSON Schema accepts (wire, jsonSchema)', async function () {
      this.timeout(60_000);
      const doc = await encodeTreeJson(def.inputs, caseDir);
      const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
      for (const [name, format] of Object.entries(fullFormats)) ajv.addFormat(name, format);
      ajv.addSchema({ $id: 'https://berth.test/c', $defs: { NumpyArrayField: { type: 'object' } } });
      const schema = JSON.parse(
        JSON.stringify(sideSchema(def.inputs, 'Inputs')).replaceAll(
          '#/components/schemas/',
          'https://berth.test/c#/$defs/',
        ),
      ) as object;
      const validate = ajv.compile(schema);
      expect(validate(doc), JSON.stringify(validate.errors)).to.equal(true);
      const back = path.join(tmp, 'json-back');
      await decodeTreeJson(def.inputs, JSON.parse(JSON.stringify(doc)), back);
      expect(await encodeTreeJson(def.inputs, back)).to.deep.equal(doc);
    });

    it('round-trips every kind through the msgpack document (wire)', async function () {
      this.timeout(60_000);
      const bytes = await encodeTreeMsgpack(def.inputs, caseDir);
      const back = path.join(tmp, 'msgpack-back');
      await decodeTreeMsgpack(def.inputs, bytes, back);
      expect(Buffer.compare(await encodeTreeMsgpack(def.inputs, back), bytes)).to.equal(0);
    });
  });
});
