import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  propertyKeywordSchemas,
  withKindKeywords,
  type KindKeywords,
} from '../../src/kinds/manifest-schema.js';
import { KINDS } from '../../src/kinds/registry.js';
import { ROOT } from '../support/paths.js';

const SCHEMA_FILE = path.join(ROOT, 'schemas', 'machine.schema.json');

const kind = (
  name: string,
  recognisedBy: KindKeywords['recognisedBy'],
  keywords: KindKeywords['keywords'] = {},
): KindKeywords => ({ name, recognisedBy, keywords });

describe('the manifest schema from the kinds (kinds/manifest-schema.ts)', () => {
  it('is what schemas/machine.schema.json holds, so the committed file is never stale', () => {
    const committed = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Parameters<typeof withKindKeywords>[0];
    expect(
      JSON.stringify(committed, null, 1),
      'schemas/machine.schema.json is stale: run npm run build, which rewrites it from src/kinds/',
    ).to.equal(JSON.stringify(withKindKeywords(committed, KINDS), null, 1));
  });

  it('gathers the kind names under type and dicom-type into one enum each, in registry order', () => {
    const schemas = propertyKeywordSchemas([
      kind('alpha', 'type'),
      kind('beta', 'enum', { enum: { type: 'array' }, type: { const: 'alpha' } }),
      kind('gamma', 'dicom-type', { 'dicom-type': { const: 'gamma' } }),
      kind('delta', 'type'),
      kind('epsilon', 'dicom-type'),
    ]);
    expect(schemas['type']).to.deep.equal({ enum: ['alpha', 'delta'] });
    expect(schemas['dicom-type']).to.deep.equal({ enum: ['gamma', 'epsilon'] });
  });

  it('lists the recognising keywords first, then the common ones, then the kinds’ own in registry order', () => {
    const schemas = propertyKeywordSchemas([
      kind('alpha', 'type', { zeta: { type: 'string' } }),
      kind('beta', 'mime-type', { 'mime-type': { type: 'string' }, eta: { type: 'integer' } }),
    ]);
    expect(Object.keys(schemas)).to.deep.equal([
      'type',
      'mime-type',
      'nullable',
      'title',
      'description',
      'berth',
      'zeta',
      'eta',
    ]);
  });

  it('takes a keyword several kinds share when they give it the same schema', () => {
    const schemas = propertyKeywordSchemas([
      kind('alpha', 'type', { limit: { type: 'integer', minimum: 0 } }),
      kind('beta', 'type', { limit: { type: 'integer', minimum: 0 } }),
    ]);
    expect(schemas['limit']).to.deep.equal({ type: 'integer', minimum: 0 });
  });

  it('refuses two kinds giving one keyword different schemas, naming both', () => {
    expect(() =>
      propertyKeywordSchemas([
        kind('alpha', 'type', { limit: { type: 'integer' } }),
        kind('beta', 'type', { limit: { type: 'number' } }),
      ]),
    ).to.throw('The kinds alpha and beta give the keyword limit different JSON Schemas');
  });

  it('refuses a kind redeclaring a common keyword', () => {
    expect(() => propertyKeywordSchemas([kind('alpha', 'type', { title: { type: 'integer' } })])).to.throw(
      'The kind alpha redeclares the common keyword title',
    );
  });

  it('replaces only the property definition’s keywords of the schema it is given', () => {
    const schema = { title: 'x', definitions: { other: { type: 'string' }, property: { type: 'object' } } };
    const out = withKindKeywords(schema, [kind('alpha', 'type')]);
    expect(out.definitions['other']).to.deep.equal({ type: 'string' });
    expect(out.definitions['property']).to.deep.include({ type: 'object' });
    expect((out.definitions['property'] as { properties: object }).properties).to.have.property('type');
    expect(schema.definitions.property).to.not.have.property('properties');
  });
});
