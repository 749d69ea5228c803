import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { locateManifest } from '../../src/manifest/locate.js';
import { codeOfAsync } from '../support/codes.js';

describe('locateManifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-locate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives a manifest file back as it was given', async () => {
    const file = path.join(dir, 'other.yaml');
    writeFileSync(file, 'x: 1\n');
    expect(await locateManifest(file)).to.equal(file);
  });

  it('finds machine.yaml before machine.json and the Dockerfile in a machine directory', async () => {
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    expect(await locateManifest(dir)).to.equal(path.join(dir, 'Dockerfile'));
    writeFileSync(path.join(dir, 'machine.json'), '{}');
    expect(await locateManifest(dir)).to.equal(path.join(dir, 'machine.json'));
    writeFileSync(path.join(dir, 'machine.yaml'), 'x: 1\n');
    expect(await locateManifest(dir)).to.equal(path.join(dir, 'machine.yaml'));
  });

  it('skips a directory that has a manifest name', async () => {
    mkdirSync(path.join(dir, 'machine.yaml'));
    writeFileSync(path.join(dir, 'machine.yml'), 'x: 1\n');
    expect(await locateManifest(dir)).to.equal(path.join(dir, 'machine.yml'));
  });

  it('refuses a missing path (BERTH_E_NOT_FOUND) and a directory without a manifest (BERTH_E_MANIFEST_NOT_FOUND)', async () => {
    expect(await codeOfAsync(locateManifest(path.join(dir, 'nope')))).to.equal('BERTH_E_NOT_FOUND');
    expect(await codeOfAsync(locateManifest(dir))).to.equal('BERTH_E_MANIFEST_NOT_FOUND');
  });
});
