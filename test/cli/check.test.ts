import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { hasStackTrace, runCli } from '../support/cli.js';
import { ROOT, fixture } from '../support/paths.js';

describe('berth check', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-check-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, data: string | Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, data);
    return file;
  };

  it('passes the sample machine with exit 0', async () => {
    const r = await runCli(['check', path.join(ROOT, 'sample-machine', 'machine.yaml')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/ok — berth-sample-nodule-screen, 4 input\(s\), 8 output\(s\)/);
  });

  it('accepts a machine directory like run does, naming the manifest it found', async () => {
    const r = await runCli(['check', path.join(ROOT, 'sample-machine')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(
      `${path.join(ROOT, 'sample-machine', 'machine.yaml')}: ok — berth-sample-nodule-screen`,
    );
  });

  it('exits 2 for a directory without a manifest, naming the files it looked for', async () => {
    const empty = path.join(dir, 'no-manifest');
    mkdirSync(empty);
    const r = await runCli(['check', empty]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('BERTH_E_MANIFEST_NOT_FOUND');
    expect(r.stderr).to.include('machine.yaml, machine.yml, machine.json, Dockerfile');
    expect(hasStackTrace(r.stderr)).to.equal(false);
  });

  it('prints findings with file, line, code and property, exit 1', async () => {
    const file = fixture('manifests', 'invalid-several.yaml');
    const r = await runCli(['check', file]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include(`${file}:7  error  BERTH_E_KIND_UNKNOWN  schema-in/a`);
    expect(r.stdout).to.include('3 error(s)');
  });

  it('--json gives findings for machines', async () => {
    const r = await runCli(['check', '--json', fixture('manifests', 'invalid-several.yaml')]);
    expect(r.code).to.equal(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; findings: { code: string; line: number }[] };
    expect(out.ok).to.equal(false);
    expect(out.findings.map((f) => f.code)).to.include('BERTH_E_ENUM_DUPLICATE');
  });

  it('exits 2 with a code for a file that does not exist', async () => {
    const r = await runCli(['check', path.join(dir, 'nope.yaml')]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/BERTH_E_NOT_FOUND/);
  });

  it('exits 2 on wrong usage', async () => {
    const r = await runCli(['check']);
    expect(r.code).to.equal(2);
  });

  describe('hostile manifests: findings or a clean error, exit 1 or 2, never a stack trace or a hang', () => {
    const head = 'metadata-version: 2\ninfo: {name: hostile}\n';
    const cases: { name: string; make: () => string | Buffer; code: number; expect: RegExp }[] = [
      {
        name: 'a YAML alias bomb',
        make: () => {
          const lines = [head, 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
          for (let i = 1; i < 10; i++)
            lines.push(
              `a${i}: &a${i} [${Array(10)
                .fill(`*a${i - 1}`)
                .join(', ')}]`,
            );
          lines.push('schema-in: {x: {type: string, examples: *a9}}', 'schema-out: {y: {type: string}}');
          return lines.join('\n') + '\n';
        },
        code: 2,
        expect: /BERTH_E_YAML_ALIAS_LIMIT/,
      },
      {
        name: '10 MB of flow nesting',
        make: () => '['.repeat(5 * 1024 * 1024) + ']'.repeat(5 * 1024 * 1024),
        code: 2,
        expect: /BERTH_E_TOO_LARGE/,
      },
      {
        name: '3 MB of flow nesting (under the size limit)',
        make: () => head + 'schema-in: ' + '['.repeat(1536 * 1024) + ']'.repeat(1536 * 1024) + '\n',
        code: 2,
        expect: /BERTH_E_TOO_DEEP/,
      },
      {
        name: 'deep block nesting',
        make: () => {
          let s = head + 'schema-in:\n';
          for (let i = 0; i < 300; i++)
            s +=
              ' '.repeat(2 + 2 * i) +
              `p${i}:\n` +
              ' '.repeat(4 + 2 * i) +
              'type: object\n' +
              ' '.repeat(4 + 2 * i) +
              'properties:\n';
          return s;
        },
        code: 2,
        expect: /BERTH_E_TOO_DEEP/,
      },
      {
        name: 'a property named ../../etc/passwd',
        make: () =>
          head + 'schema-in:\n  ../../etc/passwd: {type: string}\nschema-out:\n  y: {type: string}\n',
        code: 1,
        expect: /BERTH_E_PROPERTY_NAME\s+schema-in\/\.\.\/\.\.\/etc\/passwd/,
      },
      {
        name: 'a non-UTF-8 file',
        make: () =>
          Buffer.concat([
            Buffer.from(head + 'schema-in:\n  caf'),
            Buffer.from([0xe9, 0xff]),
            Buffer.from(': {type: string}\n'),
          ]),
        code: 2,
        expect: /BERTH_E_NOT_UTF8/,
      },
      { name: 'an empty file', make: () => '', code: 2, expect: /BERTH_E_EMPTY/ },
      {
        name: 'binary garbage',
        make: () => Buffer.from([0, 1, 2, 3, 0xfe, 0xff, 0, 0]),
        code: 2,
        expect: /BERTH_E_/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const file = write(`${c.name.replace(/\W+/g, '-')}.yaml`, c.make());
        const r = await runCli(['check', file], { timeoutMs: 10000 });
        expect(r.signal, 'killed by the hang guard').to.equal(null);
        expect(r.code, r.stdout + r.stderr).to.equal(c.code);
        expect(r.stdout + r.stderr).to.match(c.expect);
        expect(hasStackTrace(r.stdout + r.stderr), r.stderr).to.equal(false);
      });
    }
  });
});
