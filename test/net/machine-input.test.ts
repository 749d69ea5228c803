import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveMachine } from '../../src/harness/machine.js';
import { groupInput, otherInputs } from '../../src/net/machine-input.js';
import { codeOf, codeOfAsync } from '../support/codes.js';
import { ROOT } from '../support/paths.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('net/machine-input', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir('listen-input')));
  afterEach(() => removeDir(dir));

  it("finds the sample machine's series input, and asks --inputs for its other required inputs", async () => {
    const { definition } = await resolveMachine(path.join(ROOT, 'sample-machine'));
    const input = groupInput(definition);
    expect([input.property.name, input.level]).to.deep.equal(['ct', 'series']);
    expect(await codeOfAsync(otherInputs(definition, input, undefined))).to.equal('BERTH_E_LISTEN_INPUT');
    const file = path.join(dir, 'inputs.yaml');
    await writeFile(file, 'inputs: {threshold-hu: 300, priority: routine}\n');
    expect(await otherInputs(definition, input, file)).to.deep.equal({
      'threshold-hu': 300,
      priority: 'routine',
    });
    await writeFile(file, 'inputs: {ct: {dicom: x}, threshold-hu: 300, priority: routine}\n');
    expect(await codeOfAsync(otherInputs(definition, input, file))).to.equal('BERTH_E_LISTEN_INPUT');
  });

  it('refuses a machine without a DICOM study or series input', async () => {
    await writeFile(
      path.join(dir, 'machine.yaml'),
      'metadata-version: 2\ninfo: {name: t}\nschema-in:\n  v: {type: string}\nschema-out:\n  s: {type: number}\n',
    );
    const { definition } = await resolveMachine(dir);
    expect(codeOf(() => groupInput(definition))).to.equal('BERTH_E_LISTEN_INPUT');
  });
});
