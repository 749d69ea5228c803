import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CLI } from '../../support/cli.js';
import { postJson, tinyMachine } from '../../support/gateway.js';

/** `berth serve` as a real process (built CLI): it serves, logs, and stops cleanly on SIGTERM. */
describe('serve/http: berth serve (CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  let work: string;
  before(() => {
    dir = tinyMachine();
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-serve-cli-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('serves with a token from BERTH_TOKEN and exits 0 on SIGTERM, leaving no tree', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'serve', dir, '--port', '0', '--concurrency', '2', '--work-root', work, '--timeout', '30s'],
      { env: { ...process.env, BERTH_TOKEN: 'tkn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        const m = /on (http:\/\/[^\s]+) /.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`berth serve exited: ${stderr}`)));
    });
    expect(stderr).to.include('bearer token required');
    expect((await postJson(`${url}/invocations`, { value: 'x' })).status).to.equal(401);
    const ok = await postJson(`${url}/invocations`, { value: 'hey' }, { authorization: 'Bearer tkn' });
    expect(ok.status).to.equal(200);
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const code = await exit;
    clearTimeout(killer);
    expect(code, stderr).to.equal(0);
    expect(stderr).to.match(/POST \/invocations 200 [0-9]+ ms run \S+ passed/);
    expect(readdirSync(work)).to.deep.equal([]);
  });

  it('refuses unusable options with exit code 2', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', dir, '--concurrency', 'lots'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).to.equal(2);
    expect(stderr).to.include('BERTH_E_USAGE');
  });
});
