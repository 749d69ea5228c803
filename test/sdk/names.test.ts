import { expect } from 'chai';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkTree } from '../../src/check/tree.js';
import { loadMachine } from '../../src/check/manifest.js';
import { openMachine } from '../../src/sdk/machine.js';
import { writeManifest } from '../support/sdk-tree.js';
import { removeDir, tempDir } from '../support/temp.js';

// JSON.parse makes `__proto__` an own key; an object literal would set the prototype instead.
const SCHEMA = JSON.parse(
  '{"obj": {"type": "object", "properties": {"__proto__": {"type": "string"}, "constructor": {"type": "integer"}}}}',
) as object;

describe('sdk: property names that are special', () => {
  let dir: string;
  afterEach(() => removeDir(dir));

  it('reads as an own member holding its value, not as {} or a prototype, and writes back the same', async () => {
    dir = await tempDir('proto');
    const input = path.join(dir, 'input');
    await mkdir(path.join(input, 'obj'), { recursive: true });
    await writeFile(path.join(input, 'obj', '__proto__'), 'polluted?');
    await writeFile(path.join(input, 'obj', 'constructor'), '7');
    const manifest = await writeManifest(dir, SCHEMA);
    const m = await openMachine({
      manifest,
      input,
      output: path.join(dir, 'output'),
      status: path.join(dir, 'status'),
      captureErrors: false,
    });
    const obj = (await m.inputs.get('obj')) as Record<string, unknown>;
    expect(Object.hasOwn(obj, '__proto__')).to.equal(true);
    expect(obj['__proto__']).to.equal('polluted?');
    expect(obj['constructor']).to.equal(7);
    expect(Object.getPrototypeOf(obj)).to.equal(Object.prototype);
    expect(JSON.stringify(obj)).to.equal('{"__proto__":"polluted?","constructor":7}');
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);

    await m.outputs.set('obj', obj);
    const definition = await loadMachine(manifest);
    expect(await checkTree(definition, 'out', path.join(dir, 'output'))).to.deep.equal([]);
  });

  it('writes and reads back an object member named by 85 three-byte characters (255 bytes)', async () => {
    dir = await tempDir('long-name');
    const name = 'あ'.repeat(85);
    const schema = { obj: { type: 'object', properties: { [name]: { type: 'string' } } } };
    const manifest = await writeManifest(dir, schema);
    const output = path.join(dir, 'output');
    await mkdir(path.join(dir, 'input'));
    const m = await openMachine({
      manifest,
      input: path.join(dir, 'input'),
      output,
      status: path.join(dir, 'status'),
      captureErrors: false,
    });
    await m.outputs.set('obj', { [name]: 'long' });
    await m.outputs.set('obj', { [name]: 'again' }); // replacing the folder uses a temporary name too
    const definition = await loadMachine(manifest);
    expect(await checkTree(definition, 'out', output)).to.deep.equal([]);
  });
});
