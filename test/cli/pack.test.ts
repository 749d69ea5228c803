/**
 * `berth pack` and `berth unpack`: trees to documents and back through the built CLI, format
 * detection, findings (exit 1) and unusable input (exit 2), binary stdout only into a pipe.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadMachine } from '../../src/check/manifest.js';
import { synthTree } from '../../src/harness/synth-tree.js';
import { removeDir, tempDir } from '../support/temp.js';
import { CLI, hasStackTrace, runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { expectSameTree, listFiles } from '../support/wire-case.js';

const SAMPLE = path.join(ROOT, 'sample-machine', 'machine.yaml');

/** Runs the CLI and keeps stdout as bytes (runCli decodes it as UTF-8). */
function runBinary(
  args: readonly string[],
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

describe('berth pack / berth unpack', function () {
  this.timeout(60_000);
  let dir: string;
  let inputs: string;
  let outputs: string;
  before(async () => {
    dir = await tempDir('cli-pack');
    const def = await loadMachine(SAMPLE);
    inputs = path.join(dir, 'in');
    outputs = path.join(dir, 'out');
    await synthTree(def, 'in', inputs, { seed: 3 });
    await synthTree(def, 'out', outputs, { seed: 3 });
  });
  after(() => removeDir(dir));

  it('packs JSON to stdout and unpacks it from stdin into the same tree', async () => {
    const packed = await runCli(['pack', inputs, '--manifest', SAMPLE]);
    expect(packed.code, packed.stderr).to.equal(0);
    const doc = JSON.parse(packed.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).to.include.members(['ct', 'threshold-hu', 'priority']);
    const back = path.join(dir, 'from-stdin');
    const r = await runCli(['unpack', '-', '--manifest', SAMPLE, '--out', back], { input: packed.stdout });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/wrote \d+ file\(s\) for schema-in from the json document/);
    await expectSameTree(inputs, back);
    const v = await runCli(['validate', SAMPLE, '--inputs', back]);
    expect(v.code, v.stdout).to.equal(0);
  });

  it('packs msgpack to a file and to a pipe alike; unpacks by extension, by first byte, or as told', async () => {
    const file = path.join(dir, 'outputs.msgpack');
    const a = await runCli([
      'pack',
      outputs,
      '--manifest',
      SAMPLE,
      '--side',
      'out',
      '--format',
      'msgpack',
      '--out',
      file,
    ]);
    expect(a.code, a.stderr).to.equal(0);
    expect(a.stdout).to.equal('');
    const piped = await runBinary([
      'pack',
      outputs,
      '--manifest',
      SAMPLE,
      '--side',
      'out',
      '--format',
      'msgpack',
    ]);
    expect(piped.code, piped.stderr).to.equal(0);
    expect(piped.stdout.equals(await readFile(file))).to.equal(true);

    const byExt = path.join(dir, 'by-ext');
    const r1 = await runCli([
      'unpack',
      file,
      '--manifest',
      SAMPLE,
      '--side',
      'out',
      '--out',
      byExt,
      '--json',
    ]);
    expect(r1.code, r1.stdout + r1.stderr).to.equal(0);
    expect(JSON.parse(r1.stdout)).to.include({ ok: true, side: 'out', format: 'msgpack' });
    await expectSameTree(outputs, byExt);

    const odd = path.join(dir, 'outputs.dat');
    await writeFile(odd, await readFile(file));
    const bySniff = path.join(dir, 'by-sniff');
    const r2 = await runCli(['unpack', odd, '--manifest', SAMPLE, '--side', 'out', '--out', bySniff]);
    expect(r2.code, r2.stdout + r2.stderr).to.equal(0);
    await expectSameTree(outputs, bySniff);

    // --format wins over the extension.
    const json = path.join(dir, 'outputs-json.msgpack');
    const p = await runCli(['pack', outputs, '--manifest', SAMPLE, '--side', 'out', '--out', json]);
    expect(p.code, p.stderr).to.equal(0);
    const told = path.join(dir, 'told');
    const r3 = await runCli([
      'unpack',
      json,
      '--manifest',
      SAMPLE,
      '--side',
      'out',
      '--out',
      told,
      '--format',
      'json',
    ]);
    expect(r3.code, r3.stdout + r3.stderr).to.equal(0);
    await expectSameTree(outputs, told);
  });

  it('unpack lists every problem with its JSON pointer, exits 1 and writes nothing', async () => {
    const doc = path.join(dir, 'bad.json');
    await writeFile(doc, JSON.stringify({ ct: [], 'threshold-hu': 'cold', 'patient-age': 200, extra: 1 }));
    const out = path.join(dir, 'bad');
    const r = await runCli(['unpack', doc, '--manifest', SAMPLE, '--out', out]);
    expect(r.code, r.stderr).to.equal(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split('  ').slice(0, 3).join(' '))).to.deep.equal([
      '/extra error BERTH_E_UNDECLARED_PROPERTY',
      '/ct error BERTH_E_DICOM_EMPTY',
      '/threshold-hu error BERTH_E_VALUE_TYPE',
      '/patient-age error BERTH_E_VALUE_CONSTRAINT',
      '/priority error BERTH_E_WIRE_MISSING',
      `${doc}: 5 problem(s) with the json document; nothing written`,
    ]);
    expect(await listFiles(out)).to.deep.equal([]);
    const j = await runCli(['unpack', doc, '--manifest', SAMPLE, '--out', out, '--json']);
    expect(j.code).to.equal(1);
    const result = JSON.parse(j.stdout) as {
      ok: boolean;
      findings: { code: string; path: string; message: string }[];
    };
    expect(result.ok).to.equal(false);
    expect(result.findings[3]).to.include({ code: 'BERTH_E_VALUE_CONSTRAINT', path: '/patient-age' });
    expect(result.findings[3]!.message).to.equal('200 is above the maximum');
  });

  it('pack refuses a tree with findings (exit 1, findings on stderr, nothing on stdout)', async () => {
    const broken = path.join(dir, 'broken');
    await mkdir(broken);
    await writeFile(path.join(broken, 'threshold-hu'), 'cold');
    const r = await runCli(['pack', broken, '--manifest', SAMPLE]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr)
      .to.contain('BERTH_E_VALUE_TEXT')
      .and.contain('BERTH_E_TREE_MISSING')
      .and.contain('not packed');
    // --no-check leaves it to the readers, which refuse the first bad value: unusable.
    const n = await runCli(['pack', broken, '--manifest', SAMPLE, '--no-check']);
    expect(n.code).to.equal(2);
    expect(n.stderr).to.match(/^berth: BERTH_E_/);
  });

  it('unpack - stops reading an endless stdin past --max-bytes (exit 2, BERTH_E_TOO_LARGE); --max-entries is exit 1', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'unpack', '-', '--manifest', SAMPLE, '--out', path.join(dir, 'cap'), '--max-bytes', '1MiB'],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    child.stdin.on('error', () => undefined);
    const feed = (): void => {
      // Endless, bounded only by the child's reading: stop once it is gone.
      while (!child.stdin.destroyed && written < 1 << 30) {
        written += chunk.length;
        if (!child.stdin.write(chunk)) return void child.stdin.once('drain', feed);
      }
    };
    feed();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).to.equal(2);
    expect(stderr).to.match(/BERTH_E_TOO_LARGE/);
    expect(written).to.be.below(64 << 20);
    const packed = await runCli(['pack', inputs, '--manifest', SAMPLE]);
    const r = await runCli(
      ['unpack', '-', '--manifest', SAMPLE, '--out', path.join(dir, 'few'), '--max-entries', '2'],
      {
        input: packed.stdout,
      },
    );
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.match(/BERTH_E_TOO_MANY_ENTRIES/);
  });

  it('exits 2 for unusable input, without stack traces', async () => {
    const text = path.join(dir, 'note.txt');
    await writeFile(text, 'hello');
    const full = path.join(dir, 'full');
    await mkdir(full);
    await writeFile(path.join(full, 'x'), '');
    const cases: [string[], RegExp][] = [
      [['pack', inputs, '--manifest', SAMPLE, '--format', 'xml'], /BERTH_E_USAGE/],
      [['pack', inputs, '--manifest', SAMPLE, '--side', 'up'], /BERTH_E_USAGE/],
      [['pack', path.join(dir, 'nope'), '--manifest', SAMPLE, '--no-check'], /BERTH_E_/],
      [['pack', inputs, '--manifest', path.join(dir, 'nope.yaml')], /BERTH_E_/],
      [['unpack', text, '--manifest', SAMPLE, '--out', path.join(dir, 'u1')], /BERTH_E_WIRE_FORMAT/],
      [
        ['unpack', text, '--manifest', SAMPLE, '--out', path.join(dir, 'u2'), '--format', 'json'],
        /BERTH_E_JSON_SYNTAX/,
      ],
      [
        ['unpack', path.join(dir, 'nope.json'), '--manifest', SAMPLE, '--out', path.join(dir, 'u3')],
        /BERTH_E_NOT_FOUND/,
      ],
      [['unpack', text, '--manifest', SAMPLE, '--out', full, '--format', 'json'], /BERTH_E_/],
      [['unpack', text, '--manifest', SAMPLE], /--out/],
    ];
    // Independent commands: run side by side.
    const results = await Promise.all(cases.map(([args]) => runCli(args, { timeoutMs: 30_000 })));
    cases.forEach(([args, message], i) => {
      const r = results[i]!;
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr, args.join(' ')).to.match(message);
      expect(hasStackTrace(r.stderr + r.stdout), args.join(' ')).to.equal(false);
    });
    // A full directory is refused before anything is read into it.
    const doc = path.join(dir, 'good.json');
    const packed = await runCli(['pack', inputs, '--manifest', SAMPLE, '--out', doc]);
    expect(packed.code).to.equal(0);
    const r = await runCli(['unpack', doc, '--manifest', SAMPLE, '--out', full]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('BERTH_E_OUT_NOT_EMPTY');
    expect(await readdir(full)).to.deep.equal(['x']);
  });
});
