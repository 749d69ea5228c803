import { readFile, writeFile } from 'node:fs/promises';
import { expect } from 'chai';
import ts from 'typescript';
import { checkManifest } from '../../src/check/manifest.js';
import type { Property } from '../../src/kinds/property.js';
import { KINDS } from '../../src/kinds/registry.js';
import { resolveSide } from '../../src/kinds/resolve.js';
import { generateTypes, propertyKey, stringLiteral } from '../../src/kinds/typescript.js';
import type { JsonObject } from '../../src/manifest/document.js';
import { loadManifestFile } from '../../src/manifest/load.js';
import { fixture } from '../support/paths.js';

/** The manifest with every kind on both sides, and the module generated from it. */
const EVERY_KIND = fixture('manifests', 'types-every-kind.yaml');
const GOLDEN = fixture('types', 'types-every-kind.ts.golden');

function side(schema: JsonObject, s: 'in' | 'out'): Property[] {
  const r = resolveSide(schema, s, () => undefined);
  expect(
    r.findings.filter((f) => f.severity === 'error'),
    'findings',
  ).to.deep.equal([]);
  return r.properties;
}

/** Types for two inline schemas, without the header. */
function types(schemaIn: JsonObject, schemaOut: JsonObject = {}): string {
  const text = generateTypes({ inputs: side(schemaIn, 'in'), outputs: side(schemaOut, 'out') });
  return text.slice(text.indexOf('\n\n') + 2);
}

/** The member lines of one interface. */
function members(text: string, name: string): string[] {
  const start = text.indexOf(`export interface ${name} {`);
  expect(start, `interface ${name}`).to.be.at.least(0);
  const body = text.slice(start, text.indexOf('\n}', start));
  return body
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => !l.startsWith('/**') && !l.startsWith('*'));
}

describe('kinds: TypeScript types (generateTypes)', () => {
  it('every kind says how it is typed', () => {
    for (const k of KINDS) expect(k.typescript, k.name).to.be.a('function');
  });

  it('generates exactly the golden module for a manifest with every kind', async () => {
    const result = checkManifest(await loadManifestFile(EVERY_KIND));
    expect(result.ok, JSON.stringify(result.findings)).to.equal(true);
    const text = generateTypes(result.definition, {
      source: 'test/fixtures/manifests/types-every-kind.yaml',
      version: '0.0.0-test',
    });
    // BERTH_UPDATE_GOLDEN=1 rewrites the golden file after a deliberate change; review its diff.
    if (process.env['BERTH_UPDATE_GOLDEN'] === '1') await writeFile(GOLDEN, text);
    expect(text).to.equal(await readFile(GOLDEN, 'utf8'));
    // The same schemas always give the same text.
    expect(
      generateTypes(result.definition, {
        source: 'test/fixtures/manifests/types-every-kind.yaml',
        version: '0.0.0-test',
      }),
    ).to.equal(text);
  });

  it('types each primitive kind as read and as written', () => {
    const def = {
      s: { type: 'string' },
      e: { enum: ['x', 'y'] },
      d: { type: 'date-time' },
      b: { type: 'boolean' },
      i: { type: 'integer' },
      n: { type: 'number' },
      p: { type: 'percentage' },
      f: { 'mime-type': 'image/png' },
      a: { type: 'ndarray', dtype: 'int16' },
      z: { type: 'ndarray' },
    };
    const text = types(def, def);
    expect(members(text, 'Inputs')).to.deep.equal([
      's: string;',
      "e: 'x' | 'y';",
      'd: IsoDateTime;',
      'b: boolean;',
      'i: number;',
      'n: number;',
      'p: number; // a fraction: 0.85 is 85%',
      'f: FileHandle;',
      "a: NdArrayOf<'int16'>;",
      'z: NdArray;',
    ]);
    expect(members(text, 'Outputs')).to.deep.equal([
      's: string;',
      "e: 'x' | 'y';",
      'd: Date | string;',
      'b: boolean;',
      'i: number;',
      'n: number;',
      'p: number; // a fraction: 0.85 is 85%',
      'f: FileSource;',
      "a: NdArrayOf<'int16'>;",
      'z: NdArray;',
    ]);
  });

  it('types DICOM kinds as handles on read and instance sources on write', () => {
    const def = {
      i: { 'dicom-type': 'dicom-image' },
      s: { 'dicom-type': 'dicom-series' },
      t: { 'dicom-type': 'dicom-study', nullable: true },
    };
    const text = types(def, def);
    expect(members(text, 'Inputs')).to.deep.equal([
      'i: DicomImage;',
      's: DicomSeries;',
      't?: DicomStudy | undefined;',
    ]);
    expect(members(text, 'Outputs')).to.deep.equal([
      'i: DicomSource;',
      's: DicomSource[];',
      't?: DicomSource[];',
    ]);
  });

  it('imports from berth exactly the types the module uses, sorted', () => {
    expect(generateTypes({ inputs: side({ n: { type: 'number' } }, 'in'), outputs: [] })).not.to.include(
      'import',
    );
    // The input side reads files as FileHandle; FileSource (the write form) is not used.
    const text = generateTypes({
      inputs: side({ f: { 'mime-type': 'image/png' }, d: { type: 'date-time' } }, 'in'),
      outputs: side({ o: { type: 'object', properties: { g: { 'mime-type': 'text/plain' } } } }, 'out'),
    });
    expect(text).to.include("import type { FileHandle, FileSource, IsoDateTime } from 'berth';");
    const onlyIn = generateTypes(
      { inputs: side({ f: { 'mime-type': 'image/png' } }, 'in'), outputs: [] },
      { importFrom: '@acme/berth' },
    );
    expect(onlyIn).to.include("import type { FileHandle } from '@acme/berth';");
  });

  it('makes nullable properties optional: read may be undefined, a write may be left out', () => {
    const def = { age: { type: 'integer', nullable: true }, 'x-y': { type: 'string', nullable: true } };
    const text = types(def, def);
    expect(members(text, 'Inputs')).to.deep.equal([
      'age?: number | undefined;',
      "'x-y'?: string | undefined;",
    ]);
    expect(members(text, 'Outputs')).to.deep.equal(['age?: number;', "'x-y'?: string;"]);
  });

  it('declares objects as named interfaces, after the interface that mentions them', () => {
    const text = types({
      scan: {
        type: 'object',
        title: 'The scan',
        properties: {
          meta: { type: 'object', properties: { id: { type: 'string' } } },
          n: { type: 'integer' },
        },
      },
      other: { type: 'object', properties: { b: { type: 'boolean' } } },
    });
    expect([...text.matchAll(/^export interface (\w+)/gm)].map((m) => m[1])).to.deep.equal([
      'Inputs',
      'InputsScan',
      'InputsScanMeta',
      'InputsOther',
      'Outputs',
    ]);
    expect(text).to.include(
      '/**\n * The scan\n *\n * At `schema-in/scan`.\n */\nexport interface InputsScan {',
    );
    expect(members(text, 'InputsScan')).to.deep.equal(['meta: InputsScanMeta;', 'n: number;']);
  });

  it('names interfaces uniquely when property names spell alike', () => {
    const obj = { type: 'object', properties: { v: { type: 'number' } } };
    const text = types({ 'a-b': obj, a_b: obj, list: { type: 'array', items: obj } });
    expect(members(text, 'Inputs')).to.deep.equal([
      "'a-b': InputsAB;",
      'a_b: InputsAB2;',
      'list: InputsListItem[];',
    ]);
  });

  it('types arrays with the item type, parenthesised where needed', () => {
    const text = types(
      {},
      {
        e: { type: 'array', items: { enum: ['a', 'b'] } },
        m: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
        d: { type: 'array', items: { type: 'date-time' } },
        s: { type: 'array', items: { type: 'survival' } },
      },
    );
    expect(members(text, 'Outputs')).to.deep.equal([
      "e: ('a' | 'b')[];",
      'm: number[][];',
      'd: (Date | string)[];',
      's: { event: boolean; time: number }[];',
    ]);
  });

  it('types survival inline and an object without members as an empty record', () => {
    const text = types({ s: { type: 'survival' }, o: { type: 'object', properties: {} } });
    expect(members(text, 'Inputs')).to.deep.equal([
      's: { event: boolean; time: number };',
      'o: Record<string, never>;',
    ]);
  });

  it('declares an empty side as an empty interface', () => {
    expect(types({}, {})).to.include('export interface Inputs {}').and.include('export interface Outputs {}');
  });

  it('quotes keys that are not identifiers and escapes literals', () => {
    expect(propertyKey('threshold')).to.equal('threshold');
    expect(propertyKey('größe')).to.equal('größe');
    expect(propertyKey('$x_1')).to.equal('$x_1');
    expect(propertyKey('mask.npy')).to.equal("'mask.npy'");
    expect(propertyKey('threshold-hu')).to.equal("'threshold-hu'");
    expect(propertyKey('0abc')).to.equal("'0abc'");
    expect(propertyKey('a b')).to.equal("'a b'");
    expect(stringLiteral('plain')).to.equal("'plain'");
    expect(stringLiteral("it's")).to.equal('"it\'s"');
    expect(stringLiteral('say "hi"')).to.equal('\'say "hi"\'');
    expect(stringLiteral(`both ' and "`)).to.equal(`'both \\' and "'`);
    expect(stringLiteral('back\\slash')).to.equal("'back\\\\slash'");
    expect(stringLiteral('a\nb\u0000')).to.equal("'a\\nb\\u0000'");
    // Every literal reads back, by TypeScript's own parser, as the text it was made from.
    for (const s of ['x', "it's", 'say "hi"', `'"\\`, 'tab\there', '\u2028', '€😀', '\ud800']) {
      const source = ts.createSourceFile('x.ts', `type T = ${stringLiteral(s)};`, ts.ScriptTarget.ES2022);
      const alias = source.statements[0] as ts.TypeAliasDeclaration;
      const literal = (alias.type as ts.LiteralTypeNode).literal as ts.StringLiteral;
      expect(literal.text, stringLiteral(s)).to.equal(s);
    }
  });

  it('writes titles and descriptions as TSDoc that cannot close early', () => {
    const text = types({
      a: { type: 'string', title: 'Short' },
      b: { type: 'string', title: 'Same', description: 'Same' },
      c: { type: 'string', description: 'Ends */ here\r\nsecond line\u0007' },
    });
    expect(text).to.include('  /** Short */\n  a: string;');
    expect(text).to.include('  /** Same */\n  b: string;');
    expect(text).to.include('  /**\n   * Ends *\\/ here\n   * second line\n   */\n  c: string;');
  });

  it('names the manifest and version in the header', () => {
    const text = generateTypes({ inputs: [], outputs: [] }, { source: 'm/machine.yaml', version: '1.2.3' });
    expect(text.split('\n').slice(0, 3)).to.deep.equal([
      '// Generated by berth 1.2.3 from m/machine.yaml. Do not edit:',
      '// run `berth types m/machine.yaml` again when the manifest changes.',
      '/* eslint-disable */',
    ]);
    const odd = generateTypes({ inputs: [], outputs: [] }, { source: 'a\nb.yaml' });
    expect(odd.split('\n')[0]).to.equal('// Generated by berth from a?b.yaml. Do not edit:');
  });
});
