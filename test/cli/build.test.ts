import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadMachine } from '../../src/check/manifest.js';
import { buildArgs, defaultBaseImage, defaultTag, labelsOf } from '../../src/harness/build.js';
import { manifestFromInspect } from '../../src/manifest/inspect.js';
import { sameJson } from '../../src/manifest/label-value.js';
import { runCli } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { requirePeer } from '../support/peers.js';
import { PODMAN } from '../support/podman.js';
import { EMPTY_MANIFEST } from '../support/tiny-machine.js';

const SAMPLE = path.join(ROOT, 'sample-machine');

describe('cli/build: berth build', function () {
  this.timeout(30_000);

  describe('the builder command (pure)', () => {
    const labels = new Map([
      ['com.envoyai.metadata-version', '2'],
      ['com.envoyai.info', 'name: m\ntitle: M'],
    ]);
    const input = { context: '/m', dockerfile: '/m/Dockerfile', tag: 'm:1', labels };

    it('buildah: bud with chroot isolation, never pulling, one --label per LABEL', () => {
      expect(buildArgs({ ...input, builder: 'buildah' })).to.deep.equal([
        ...['bud', '--isolation', 'chroot', '--pull=never', '--file', '/m/Dockerfile', '--tag', 'm:1'],
        ...['--label', 'com.envoyai.metadata-version=2', '--label', 'com.envoyai.info=name: m\ntitle: M'],
        '/m',
      ]);
    });

    it('podman: build with chroot isolation, never pulling', () => {
      expect(buildArgs({ ...input, builder: 'podman' }).slice(0, 4)).to.deep.equal([
        'build',
        '--isolation',
        'chroot',
        '--pull=never',
      ]);
    });

    it('docker: plain build; --base and build arguments become --build-arg', () => {
      expect(
        buildArgs({
          ...input,
          builder: 'docker',
          base: 'registry.example/berth:0.1',
          buildArgs: ['A=1', 'B='],
        }),
      ).to.deep.equal([
        ...['build', '--file', '/m/Dockerfile', '--tag', 'm:1'],
        ...['--label', 'com.envoyai.metadata-version=2', '--label', 'com.envoyai.info=name: m\ntitle: M'],
        ...[
          '--build-arg',
          'BERTH_IMAGE=registry.example/berth:0.1',
          '--build-arg',
          'A=1',
          '--build-arg',
          'B=',
        ],
        '/m',
      ]);
    });

    it('refuses a build argument that is not KEY=VALUE', () => {
      expect(() => buildArgs({ ...input, builder: 'docker', buildArgs: ['=x'] })).to.throw(
        /not a build argument/,
      );
      expect(() => buildArgs({ ...input, builder: 'docker', buildArgs: ['NOEQUALS'] })).to.throw(/KEY=VALUE/);
    });
  });

  describe('from the manifest', () => {
    it('names the image <info.name>:<info.release-version>', async () => {
      const def = await loadMachine(path.join(SAMPLE, 'machine.yaml'));
      expect(defaultTag(def.source.document)).to.equal('berth-sample-nodule-screen:0.1.0');
      expect(defaultTag({ info: { name: 'My Lung Machine!' } })).to.equal('my-lung-machine:latest');
      expect(defaultTag({ info: { name: '__', 'release-version': '-v1 beta' } })).to.equal('machine:v1-beta');
    });

    it('sets labels that read back from inspect JSON as the same manifest', async () => {
      const def = await loadMachine(path.join(SAMPLE, 'machine.yaml'));
      const labels = labelsOf(def.source.document);
      expect(labels.get('com.envoyai.metadata-version')).to.equal('2');
      expect([...labels.keys()]).to.include.members([
        'com.envoyai.info',
        'com.envoyai.schema-in',
        'com.envoyai.schema-out',
        'org.berth.berth',
      ]);
      // What `podman image inspect` prints for an image built with these --label flags.
      const inspect = JSON.stringify([{ Config: { Labels: Object.fromEntries(labels) } }]);
      const back = manifestFromInspect(inspect, 'inspect.json');
      expect(sameJson(back.document, def.source.document)).to.equal(true);
    });
  });

  describe('the command', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('--dry-run prints the builder command with the labels, base and tag', async () => {
      const r = await runCli(['build', SAMPLE, '--engine', 'docker', '--base', 'b:1', '--dry-run']);
      expect(r.code, r.stderr).to.equal(0);
      const argv = JSON.parse(r.stdout) as string[];
      expect(argv.slice(0, 6)).to.deep.equal([
        'docker',
        'build',
        '--file',
        path.join(SAMPLE, 'Dockerfile'),
        '--tag',
        'berth-sample-nodule-screen:0.1.0',
      ]);
      expect(argv).to.include('com.envoyai.metadata-version=2');
      expect(argv.filter((a) => a === '--label')).to.have.length.greaterThan(5);
      expect(argv.at(-1)).to.equal(SAMPLE);
      expect(argv.at(-2)).to.equal('BERTH_IMAGE=b:1');
      expect(r.stderr).to.equal('');
    });

    it('says when the Dockerfile lacks the manifest copy or the BERTH_IMAGE argument', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'berth-build-'));
      await writeFile(path.join(dir, 'machine.yaml'), EMPTY_MANIFEST);
      await writeFile(path.join(dir, 'Dockerfile'), 'FROM berth:latest\nCMD ["node", "main.js"]\n');
      const r = await runCli([
        'build',
        dir,
        '--engine',
        'buildah',
        '--tag',
        't:x',
        '--base',
        'b',
        '--dry-run',
      ]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.include('does not copy the manifest to /envoyai/machine.yaml');
      expect(r.stderr).to.include('--base has no effect');
      expect(JSON.parse(r.stdout)).to.include('t:x');
    });

    it('fails cleanly without a Dockerfile or with an unknown builder', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'berth-build-'));
      await mkdir(path.join(dir, 'm'));
      await writeFile(path.join(dir, 'm', 'machine.yaml'), EMPTY_MANIFEST);
      const none = await runCli(['build', path.join(dir, 'm'), '--engine', 'docker', '--dry-run']);
      expect(none.code).to.equal(2);
      expect(none.stderr).to.match(/BERTH_E_NOT_FOUND: .*no Dockerfile/);
      const unknown = await runCli(['build', SAMPLE, '--engine', 'kaniko', '--dry-run']);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.match(/BERTH_E_USAGE: .*no image builder "kaniko"/);
    });

    it('reads the base image a Dockerfile builds FROM through ARG BERTH_IMAGE', () => {
      expect(defaultBaseImage('ARG BERTH_IMAGE=berth:latest\nFROM ${BERTH_IMAGE}\n')).to.equal(
        'berth:latest',
      );
      expect(defaultBaseImage('ARG BERTH_IMAGE=berth:latest\nFROM node:20\n')).to.equal(undefined);
      expect(defaultBaseImage('FROM node:20\n')).to.equal(undefined);
    });

    it('refuses a missing base image with exit 2 and the command that builds berth’s base image', async function () {
      await requirePeer(this, PODMAN);
      const r = await runCli([
        'build',
        SAMPLE,
        '--engine',
        'podman',
        '--base',
        'berth-test-no-such-base:never',
      ]);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.include(
        'BERTH_E_IMAGE_NOT_FOUND: The base image berth-test-no-such-base:never that Dockerfile builds FROM is not in podman',
      );
      expect(r.stderr).to.include('`npm run build:image`');
      expect(r.stderr).to.not.include('berth build: podman');
    });
  });
});
