/**
 * Every command example of the README runs as written from the repository root (issue 12,
 * section 5): each line of the ```sh block under "Commands" → "Examples", and the first
 * `berth serve` and `berth stream` examples of their sections.
 *
 * `berth` is the built CLI, put on PATH through a one-line shim (as `npm link` would). The lines
 * run in a scratch folder holding a link to `sample-machine/`, so what they write lands in a
 * scratch `berth-demo/`, never in the repository. The servers are started on port 0 instead of
 * the README's fixed ports (a shared machine may have those taken) and stopped by their pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { splitCommand } from '../src/harness/machine.js';
import { CLI } from './support/cli.js';
import { ROOT } from './support/paths.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The ```sh blocks after a heading, in order (the heading line as written, e.g. `### Examples`). */
function shBlocksAfter(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no heading ${heading}`);
  const level = heading.split(' ')[0]!;
  const next = README.slice(start + heading.length + 2).search(new RegExp(`\\n${level} `));
  const section = next < 0 ? README.slice(start) : README.slice(start, start + heading.length + 2 + next);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** The command lines of a block: continuations joined, `# comments` dropped, blank lines left out. */
function commandLines(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter((l) => l.length > 0);
}

/** Waits for a line matching `re` on a stream, bounded by `ms`. */
function waitFor(stream: NodeJS.ReadableStream, re: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; got: ${seen}`)), ms);
    stream.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const m = re.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

describe('README examples', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-readme-'));
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, 'berth'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`,
    );
    chmodSync(path.join(bin, 'berth'), 0o755);
    mkdirSync(path.join(dir, 'root'));
    symlinkSync(path.join(ROOT, 'sample-machine'), path.join(dir, 'root', 'sample-machine'));
    env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`, NO_COLOR: '1' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const examples = commandLines(shBlocksAfter('### Examples')[0] ?? '');

  it('has one example for every berth command', () => {
    // `berth exec` runs inside another command (`--cmd "berth exec -- …"`): every `berth X` counts.
    const commands = new Set(examples.flatMap((l) => [...l.matchAll(/\bberth ([a-z]+)/g)].map((m) => m[1])));
    const serve = commandLines(shBlocksAfter('## HTTP gateway')[0] ?? '')[0]!;
    const stream = commandLines(shBlocksAfter('## EIR stream')[0] ?? '')[0]!;
    for (const l of [serve, stream]) commands.add(l.split(/\s+/)[1]);
    const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout;
    const listed = [...help.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(listed.length).to.be.greaterThan(10);
    for (const c of listed) expect(commands.has(c), `no README example of berth ${c}`).to.equal(true);
  });

  for (const line of examples) {
    it(`runs: ${line}`, () => {
      expect(line.startsWith('berth ')).to.equal(true);
      const r = spawnSync('bash', ['-c', line], {
        cwd: path.join(dir, 'root'),
        env,
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
    });
  }

  it('runs the first berth serve example and its curl request', async () => {
    const [serveLine, ...curls] = commandLines(shBlocksAfter('## HTTP gateway')[0] ?? '');
    expect(serveLine).to.match(/^berth serve sample-machine --port 8080/);
    const args = splitCommand(serveLine!.replace('--port 8080', '--port 0')).slice(1);
    const server = spawn(process.execPath, [CLI, ...args], {
      cwd: path.join(dir, 'root'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const m = await waitFor(server.stderr!, /http:\/\/127\.0\.0\.1:(\d+)/, 30_000);
      expect(curls.length).to.be.greaterThan(0);
      for (const curl of curls) {
        const r = spawnSync('bash', ['-c', curl.replace('localhost:8080', `127.0.0.1:${m[1]}`)], {
          cwd: path.join(dir, 'root'),
          env,
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(r.status, r.stderr).to.equal(0);
        const body = JSON.parse(r.stdout) as { outputs: Record<string, unknown> };
        expect(body.outputs['nodule-found']).to.be.a('boolean');
      }
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) =>
        server.exitCode === null ? server.once('exit', resolve) : resolve(null),
      );
    }
  });

  it('runs the first berth stream example: it serves the sample dataset over a WebSocket', async () => {
    const [streamLine] = commandLines(shBlocksAfter('## EIR stream')[0] ?? '');
    expect(streamLine).to.match(/^berth stream sample-machine\/eir-cases /);
    const args = [...splitCommand(streamLine!).slice(1), '--port', '0'];
    const server = spawn(process.execPath, [CLI, ...args], {
      cwd: path.join(dir, 'root'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const [url] = await waitFor(server.stdout!, /ws:\/\/127\.0\.0\.1:\d+\/ws/, 30_000);
      await new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once('open', () => {
          ws.close();
          resolve();
        });
        ws.once('error', reject);
      });
    } finally {
      server.kill('SIGTERM');
      const code = await new Promise((resolve) =>
        server.exitCode === null ? server.once('exit', resolve) : resolve(server.exitCode),
      );
      expect(code).to.equal(0);
    }
  });
});
