import { mkdir, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMachine } from './src/check/manifest.js';
import { checkTree } from './src/check/tree.js';
const dir = await mkdtemp(join(tmpdir(), 'q-'));
await writeFile(join(dir, 'm.json'), JSON.stringify({ 'metadata-version': 2, info: { name: 'x' }, 'schema-in': { numbers: { type: 'array', items: { type: 'integer' } } }, 'schema-out': {} }));
await mkdir(join(dir, 't', 'numbers'), { recursive: true });
for (let i = 0; i < 10000; i++) await writeFile(join(dir, 't', 'numbers', String(i)), String(i));
const def = await loadMachine(join(dir, 'm.json'));
for (let r = 0; r < 10; r++) { const t = performance.now(); await checkTree(def, 'in', join(dir, 't')); console.log((performance.now() - t).toFixed(0)); }
