/**
 * The hostile-machine suite: machines that link their status files and outputs to a host file
 * (holding a canary), leave FIFOs where berth reads, write huge and sparse outputs or a megabyte
 * of digits as progress. Under every driver available here (process; sandbox when bubblewrap can
 * run; container with BERTH_CONTAINER_E2E=1, see test/e2e/container.test.ts), each run must end
 * within its bound and the canary must appear in no report: terminal, JSON, HTML.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startGateway, type Gateway } from '../../src/serve/http/gateway.js';
import { runCli } from '../support/cli.js';
import { BWRAP_PEER } from '../support/bwrap.js';
import { requirePeer } from '../support/peers.js';
import { postJson, request, subscribe } from '../support/gateway.js';

const CANARY = 'CANARY-hostile-7d3e9b';

/** The hostile machine: what it does is chosen by its `mode` input. */
const MACHINE = `import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
const IN = process.env.BERTH_INPUT, OUT = process.env.BERTH_OUTPUT, STATUS = process.env.BERTH_STATUS;
const read = (name) => fs.readFileSync(path.join(IN, name), 'utf8');
const mode = read('mode');
const target = read('target');
const fifo = (p) => execFileSync('mkfifo', [p]);
const sparse = (p, bytes) => { const fd = fs.openSync(p, 'w'); fs.ftruncateSync(fd, bytes); fs.closeSync(fd); };
const plain = () => { fs.writeFileSync(path.join(OUT, 'echo'), 'fine'); fs.writeFileSync(path.join(OUT, 'length'), '4'); };
if (mode === 'symlink-status') {
  for (const n of ['progress', 'warn', 'error']) fs.symlinkSync(target, path.join(STATUS, n));
  plain();
} else if (mode === 'symlink-output') {
  fs.symlinkSync(target, path.join(OUT, 'echo'));
  fs.symlinkSync(target, path.join(OUT, 'data'));
  fs.writeFileSync(path.join(OUT, 'length'), '4');
} else if (mode === 'fifo-status') {
  for (const n of ['progress', 'warn', 'error']) fifo(path.join(STATUS, n));
  plain();
} else if (mode === 'fifo-output') {
  fifo(path.join(OUT, 'echo'));
  fifo(path.join(OUT, 'data'));
  fs.writeFileSync(path.join(OUT, 'length'), '4');
} else if (mode === 'huge-output') {
  sparse(path.join(OUT, 'echo'), 4 * 1024 ** 3);
  sparse(path.join(OUT, 'data'), 4 * 1024 ** 3);
  fs.writeFileSync(path.join(OUT, 'length'), '4');
  // A valid .npy header for 2^30 float32 values, then 4 GiB of holes: right by its header.
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1073741824,), }";
  const header = Buffer.alloc(128, 0x20);
  header.write('\\x93NUMPY', 0, 'latin1');
  header[6] = 1; header[7] = 0; header.writeUInt16LE(118, 8); header.write(dict, 10, 'latin1'); header[127] = 0x0a;
  const npy = path.join(OUT, 'arr.npy');
  fs.writeFileSync(npy, header);
  fs.truncateSync(npy, 128 + 4 * 1024 ** 3);
} else if (mode === 'digits') {
  // 1 MiB of digits, 64 KiB every 100 ms, so the watcher polls while the file grows.
  const fd = fs.openSync(path.join(STATUS, 'progress'), 'a');
  for (let i = 0; i < 16; i++) {
    fs.writeSync(fd, '9'.repeat(64 * 1024));
    await new Promise((r) => setTimeout(r, 100));
  }
  fs.closeSync(fd);
  plain();
}
`;

const MANIFEST = [
  'metadata-version: 2',
  'info: {name: hostile, title: Hostile machine}',
  'schema-in:',
  '  mode: {type: string}',
  '  target: {type: string}',
  'schema-out:',
  '  echo: {type: string}',
  '  length: {type: integer}',
  '  data: {mime-type: application/octet-stream, nullable: true}',
  '  arr.npy: {type: ndarray, dtype: float32, nullable: true}',
  'timeout: 1',
  'berth:',
  `  command: [${JSON.stringify(process.execPath)}, machine.mjs]`,
].join('\n');

/** What a run left: the terminal text, the JSON and HTML reports. */
interface Ran {
  code: number | null;
  terminal: string;
  json: string;
  html: string;
  ms: number;
}

describe('harness: hostile machines', function () {
  this.timeout(120_000);
  let dir: string;
  let machine: string;
  let secret: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-hostile-'));
    machine = path.join(dir, 'machine');
    mkdirSync(machine);
    writeFileSync(path.join(machine, 'machine.yaml'), MANIFEST + '\n');
    writeFileSync(path.join(machine, 'machine.mjs'), MACHINE);
    // A host file behind a 0700 folder: a sandboxed machine can neither see nor read it.
    mkdirSync(path.join(dir, 'host'), { mode: 0o700 });
    secret = path.join(dir, 'host', 'secret');
    writeFileSync(secret, `${CANARY}\n`);
    chmodSync(machine, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(driver: string, mode: string): Promise<Ran> {
    const caseDir = path.join(dir, `case-${driver}-${mode}`);
    mkdirSync(caseDir, { recursive: true });
    writeFileSync(
      path.join(caseDir, 'case.yaml'),
      `inputs:\n  mode: ${JSON.stringify(mode)}\n  target: ${JSON.stringify(secret)}\n`,
    );
    const json = path.join(caseDir, 'run.json');
    const html = path.join(caseDir, 'run.html');
    const r = await runCli(
      ['run', machine, '--case', caseDir, '--driver', driver, '--report', json, '--report', html],
      { timeoutMs: 60_000 },
    );
    const text = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    return { code: r.code, terminal: r.stdout + r.stderr, json: text(json), html: text(html), ms: r.ms };
  }

  function expectNoLeak(r: Ran): void {
    expect(r.code, r.terminal).to.be.a('number'); // ended by itself, not killed at the bound
    expect(r.json, 'a JSON report was written').to.match(/"outcome"/);
    expect(r.html, 'an HTML report was written').to.match(/^<!DOCTYPE html>/i);
    for (const [where, text] of Object.entries({ terminal: r.terminal, json: r.json, html: r.html }))
      expect(text, `${where} report`).not.to.contain(CANARY);
  }

  const findingCodes = (r: Ran, side: 'status' | 'output'): string[] => {
    const report = JSON.parse(r.json) as {
      status: { findings?: { code: string }[] };
      outputFindings: { code: string }[];
    };
    return (side === 'status' ? (report.status.findings ?? []) : report.outputFindings).map((f) => f.code);
  };

  for (const driver of ['process', 'sandbox']) {
    describe(`under the ${driver} driver`, () => {
      before(async function () {
        if (driver === 'sandbox') await requirePeer(this, BWRAP_PEER);
      });

      it('status files linked to a host file are refused (BERTH_E_TREE_SYMLINK); the file is in no report', async () => {
        const r = await run(driver, 'symlink-status');
        expectNoLeak(r);
        expect(findingCodes(r, 'status')).to.deep.equal([
          'BERTH_E_TREE_SYMLINK',
          'BERTH_E_TREE_SYMLINK',
          'BERTH_E_TREE_SYMLINK',
        ]);
        expect(JSON.parse(r.json)).to.deep.include({ outcome: 'passed' });
        expect(r.terminal).to.contain('BERTH_E_TREE_SYMLINK');
        expect(r.html).to.contain('BERTH_E_TREE_SYMLINK');
      });

      it('outputs linked to a host file are refused (BERTH_E_TREE_SYMLINK); the file is in no report', async () => {
        const r = await run(driver, 'symlink-output');
        expectNoLeak(r);
        expect(JSON.parse(r.json)).to.deep.include({ outcome: 'invalid-output' });
        expect(findingCodes(r, 'output')).to.include('BERTH_E_TREE_SYMLINK');
      });

      it('FIFO status files do not block the run: they are BERTH_E_TREE_SPECIAL findings', async () => {
        const r = await run(driver, 'fifo-status');
        expectNoLeak(r);
        expect(findingCodes(r, 'status')).to.deep.equal([
          'BERTH_E_TREE_SPECIAL',
          'BERTH_E_TREE_SPECIAL',
          'BERTH_E_TREE_SPECIAL',
        ]);
      });

      it('FIFO outputs do not block the run: they are BERTH_E_TREE_SPECIAL findings', async () => {
        const r = await run(driver, 'fifo-output');
        expectNoLeak(r);
        expect(JSON.parse(r.json)).to.deep.include({ outcome: 'invalid-output' });
        expect(findingCodes(r, 'output')).to.include('BERTH_E_TREE_SPECIAL');
      });

      it('sparse 4 GiB outputs (text, file, .npy) are refused or checked by their size and first bytes, never read whole', async () => {
        const r = await run(driver, 'huge-output');
        expectNoLeak(r);
        expect(JSON.parse(r.json)).to.deep.include({ outcome: 'invalid-output' });
        // Only the 4 GiB string is wrong; the file and the .npy are right by their first bytes.
        expect(findingCodes(r, 'output')).to.deep.equal(['BERTH_E_VALUE_TOO_LARGE']);
      });

      it('a megabyte of digits as progress is no progress, and the run ends as the machine does', async () => {
        const r = await run(driver, 'digits');
        expectNoLeak(r);
        expect(JSON.parse(r.json)).to.deep.include({ outcome: 'passed' });
        expect((JSON.parse(r.json) as { status: { progress: unknown } }).status.progress).to.equal(null);
      });
    });
  }

  for (const driver of ['process', 'sandbox']) {
    describe(`the gateway, under the ${driver} driver`, () => {
      let gw: Gateway | undefined;
      before(async function () {
        if (driver === 'sandbox') await requirePeer(this, BWRAP_PEER);
        gw = await startGateway({ machine, driver, port: 0, concurrency: 2, queue: 2, closeGraceMs: 200 });
      });
      after(async () => {
        await gw?.close();
      });

      for (const mode of ['symlink-status', 'fifo-status', 'symlink-output', 'fifo-output']) {
        it(`answers a ${mode} run, and neither the answer nor its events hold the host file`, async () => {
          const id = `hostile-${driver}-${mode}`;
          const sub = subscribe(`${gw!.url}/runs/${id}/events`);
          expect(await sub.ready).to.equal(200);
          const answer = await postJson(
            `${gw!.url}/invocations`,
            { mode, target: secret },
            { 'x-berth-run-id': id },
          );
          expect(answer.json, answer.bytes.toString()).to.have.property('outcome');
          expect(answer.bytes.toString('utf8')).not.to.contain(CANARY);
          const events = await sub.events;
          expect(events[events.length - 1]!.event).to.equal('outcome');
          expect(JSON.stringify(events)).not.to.contain(CANARY);
        });
      }

      it('answers /ping within 1 s while a machine writes 1 MiB of digits into status/progress', async () => {
        const posted = postJson(`${gw!.url}/invocations`, { mode: 'digits', target: secret });
        let done = false;
        void posted.finally(() => (done = true));
        const pings: number[] = [];
        while (!done && pings.length < 100) {
          const t0 = performance.now();
          const pong = await request(`${gw!.url}/ping`, { timeoutMs: 5_000 });
          pings.push(performance.now() - t0);
          expect(pong.status).to.equal(200);
          await new Promise((r) => setTimeout(r, 100));
        }
        const answer = await posted;
        expect(answer.json).to.deep.include({ outcome: 'passed' });
        expect(pings.length).to.be.at.least(5);
        expect(Math.max(...pings)).to.be.below(1000);
      });
    });
  }

  it('the canary is really there, so its absence above means something', () => {
    expect(execFileSync('cat', [secret], { encoding: 'utf8' })).to.contain(CANARY);
  });
});
