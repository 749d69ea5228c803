import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadMachine } from '../../src/check/manifest.js';
import { checkTree } from '../../src/check/tree.js';
import { isAtomicTempName } from '../../src/tree/atomic.js';
import { openMachine } from '../../src/sdk/machine.js';
import { ROOT } from '../support/paths.js';
import { writeManifest } from '../support/sdk-tree.js';
import { removeDir, tempDir } from '../support/temp.js';

const MiB = 1024 * 1024;
const TOTAL_CHUNKS = 100; // 100 MiB in all

/**
 * The machine: writes a 100 MiB file output from a slow stream (1 MiB every 10 ms), printing each
 * chunk handed over, so the parent can kill it mid-write.
 */
const CHILD = `
const [sdk, manifest, input, output, status] = process.argv.slice(2);
const { openMachine } = await import(sdk);
const m = await openMachine({ manifest, input, output, status, captureErrors: false });
const chunk = Buffer.alloc(${MiB}, 0x5a);
async function* slow() {
  for (let i = 0; i < ${TOTAL_CHUNKS}; i++) {
    await new Promise((r) => setTimeout(r, 10));
    yield chunk;
    process.stdout.write('chunk ' + i + '\\n');
  }
}
await m.outputs.file('big', slow());
process.stdout.write('done\\n');
`;

describe('sdk: a machine killed mid-write (SIGKILL)', function () {
  this.timeout(60000);
  let dir: string;
  let manifest: string;
  let input: string;
  let output: string;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    dir = await tempDir('crash');
    manifest = await writeManifest(
      dir,
      { x: { type: 'integer', nullable: true } },
      {
        big: { 'mime-type': 'application/octet-stream' },
      },
    );
    input = path.join(dir, 'input');
    output = path.join(dir, 'output');
    await mkdir(input);
    await writeFile(path.join(dir, 'child.mjs'), CHILD);
  });
  afterEach(async () => {
    // No orphans, whatever happened.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    await removeDir(dir);
  });

  /** Starts the machine and kills it once `killAfter` MiB are handed to the writer; resolves when it is gone. */
  function runAndKill(
    killAfter: number,
  ): Promise<{ signal: NodeJS.Signals | null; lastChunk: number; tempSize: number }> {
    return new Promise((resolve, reject) => {
      const sdk = pathToFileURL(path.join(ROOT, 'src', 'index.ts')).href;
      const c = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(dir, 'child.mjs'),
          sdk,
          manifest,
          input,
          output,
          path.join(dir, 'status'),
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = c;
      let lastChunk = -1;
      let tempSize = -1;
      let stderr = '';
      let killing = false;
      const limit = setTimeout(() => {
        c.kill('SIGKILL');
        reject(new Error('the machine never reached the kill point'));
      }, 45000);
      c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      c.stdout.setEncoding('utf8').on('data', (d: string) => {
        for (const m of d.matchAll(/chunk (\d+)/g)) lastChunk = Number(m[1]);
        if (!killing && lastChunk >= killAfter) {
          killing = true;
          // Look at the temporary file while the write is in flight, then kill.
          void readdir(output)
            .then(async (names) => {
              const tmp = names.find(isAtomicTempName);
              if (tmp) tempSize = (await stat(path.join(output, tmp))).size;
            })
            .finally(() => c.kill('SIGKILL'));
        }
      });
      c.on('error', reject);
      c.on('close', (code, signal) => {
        clearTimeout(limit);
        if (signal !== 'SIGKILL') reject(new Error(`the machine exited by itself (${code}): ${stderr}`));
        else resolve({ signal, lastChunk, tempSize });
      });
    });
  }

  it('leaves no file at the output path, and checkTree reports it missing plus the leftover temp file', async () => {
    const r = await runAndKill(30);
    expect(r.signal).to.equal('SIGKILL');
    expect(r.lastChunk).to.be.within(30, TOTAL_CHUNKS - 2);
    expect(r.tempSize, 'the write was in flight when killed').to.be.within(1, TOTAL_CHUNKS * MiB - 1);
    const names = await readdir(output);
    expect(names).to.not.include('big');
    const leftovers = names.filter(isAtomicTempName);
    expect(leftovers).to.have.length(1);
    expect(leftovers[0]).to.match(/^\.berth-tmp-big\.\d+\.[0-9a-f]{12}$/);
    const findings = await checkTree(await loadMachine(manifest), 'out', output);
    expect(findings.map((f) => [f.code, path.basename(f.path ?? '')])).to.deep.equal(
      [
        ['BERTH_E_TREE_PARTIAL_WRITE', leftovers[0]],
        ['BERTH_E_TREE_MISSING', 'big'],
      ].sort((a, b) => a[1]!.localeCompare(b[1]!)),
    );
  });

  it('keeps the previous complete file when one existed', async () => {
    const previous = Buffer.from('the previous complete output\n');
    const m = await openMachine({
      manifest,
      input,
      output,
      status: path.join(dir, 'status'),
      captureErrors: false,
    });
    await m.outputs.set('big', previous);
    await runAndKill(20);
    expect(Buffer.compare(await readFile(path.join(output, 'big')), previous)).to.equal(0);
    const findings = await checkTree(await loadMachine(manifest), 'out', output);
    expect(findings.map((f) => f.code)).to.deep.equal(['BERTH_E_TREE_PARTIAL_WRITE']);
  });

  it('completes the 100 MiB write when not killed (the same machine, left alone)', async function () {
    const sdk = pathToFileURL(path.join(ROOT, 'src', 'index.ts')).href;
    const code = await new Promise<number | null>((resolve, reject) => {
      const c = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(dir, 'child.mjs'),
          sdk,
          manifest,
          input,
          output,
          path.join(dir, 'status'),
        ],
        { cwd: ROOT, stdio: 'ignore' },
      );
      child = c;
      const limit = setTimeout(() => c.kill('SIGKILL'), 45000);
      c.on('error', reject);
      c.on('close', (exit) => {
        clearTimeout(limit);
        resolve(exit);
      });
    });
    expect(code).to.equal(0);
    expect((await stat(path.join(output, 'big'))).size).to.equal(TOTAL_CHUNKS * MiB);
    expect(await checkTree(await loadMachine(manifest), 'out', output)).to.deep.equal([]);
  });
});
