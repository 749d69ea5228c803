import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { COMMON_KEYWORDS, RECOGNISERS } from '../../src/kinds/keywords.js';
import { KINDS } from '../../src/kinds/registry.js';
import { DTYPE_NAMES } from '../../src/ndarray/dtype.js';
import { ROOT } from '../support/paths.js';

interface PropertySchema {
  properties: Record<string, { enum?: string[] }>;
}

const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'machine.schema.json'), 'utf8')) as {
  definitions: { property: PropertySchema };
};
const property = schema.definitions.property.properties;

describe('the machine schema (schemas/machine.schema.json) follows the kinds registry', () => {
  it('offers exactly the registry kinds recognised by type, in registry order', () => {
    const byType = KINDS.filter((k) => k.recognisedBy === 'type').map((k) => k.name);
    expect(property['type']?.enum).to.deep.equal(byType);
  });

  it('offers exactly the registry kinds recognised by dicom-type', () => {
    const byDicomType = KINDS.filter((k) => k.recognisedBy === 'dicom-type').map((k) => k.name);
    expect(property['dicom-type']?.enum).to.deep.equal(byDicomType);
  });

  it('describes every keyword a kind accepts, and no keyword that no kind accepts', () => {
    const common = new Set(COMMON_KEYWORDS);
    const perKind = new Set(KINDS.flatMap((k) => Object.keys(k.keywords)).filter((k) => !common.has(k)));
    const described = Object.keys(property);
    expect(
      [...perKind].filter((k) => !described.includes(k)),
      'kind keywords missing from the schema',
    ).to.deep.equal([]);
    const known = new Set([...COMMON_KEYWORDS, ...RECOGNISERS, ...perKind]);
    expect(
      described.filter((k) => !known.has(k)),
      'schema keywords no kind accepts',
    ).to.deep.equal([]);
  });

  it('offers exactly the ndarray dtypes berth reads and writes', () => {
    expect(property['dtype']?.enum).to.deep.equal(DTYPE_NAMES);
  });
});
