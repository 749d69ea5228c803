import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadMachine } from '../../src/check/manifest.js';
import { generateTypes } from '../../src/kinds/typescript.js';
import { VERSION } from '../../src/version.js';
import { ROOT } from '../support/paths.js';

describe('sample machine', () => {
  it('its checked-in machine-types.ts is what berth types generates from its manifest', async () => {
    const manifest = path.join(ROOT, 'sample-machine', 'machine.yaml');
    const definition = await loadMachine(manifest);
    const fresh = generateTypes(
      { inputs: definition.inputs, outputs: definition.outputs },
      { source: 'sample-machine/machine.yaml', version: VERSION },
    );
    const current = readFileSync(path.join(ROOT, 'sample-machine', 'src', 'machine-types.ts'), 'utf8');
    expect(
      current,
      'run: berth types sample-machine/machine.yaml --out sample-machine/src/machine-types.ts',
    ).to.equal(fresh);
  });
});
