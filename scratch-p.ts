import { readFile as readFileCb } from 'node:fs';
import { mkdir, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTextFile } from './src/tree/read-text.js';
import { Limiter } from './src/tree/entry.js';
const dir = await mkdtemp(join(tmpdir(), 'p-'));
const paths: string[] = [];
for (let i = 0; i < 10000; i++) { const p = join(dir, String(i)); await writeFile(p, String(i)); paths.push(p); }
async function pool(f: (p: string) => Promise<unknown>) { let n = 0; await Promise.all(Array.from({length: 64}, async () => { while (n < paths.length) await f(paths[n++]!); })); }
const cb = (p: string) => new Promise((res, rej) => readFileCb(p, (e, b) => e ? rej(e) : res(b)));
const lim = new Limiter(64);
for (let r = 0; r < 4; r++) {
  let t = performance.now(); await pool(cb); const a = performance.now() - t;
  t = performance.now(); await pool(p => readTextFile(p)); const b = performance.now() - t;
  t = performance.now(); await Promise.all(paths.map(p => lim.run(() => readTextFile(p)))); const c = performance.now() - t;
  console.log(a.toFixed(0), b.toFixed(0), c.toFixed(0));
}
