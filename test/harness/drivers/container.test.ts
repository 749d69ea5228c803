import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  containerArgs,
  containersConf,
  createContainerDriver,
  engineEnv,
  storageConf,
} from '../../../src/harness/drivers/container.js';
import type { LaunchSpec } from '../../../src/harness/drivers/driver.js';
import { stopOrphan } from '../../../src/harness/drivers/orphans.js';
import { newRunId } from '../../../src/harness/drivers/sweep.js';
import { requirePeer, type Peer } from '../../support/peers.js';
import { loopbackListener, makeRun, removeRun, specOf, waitEnd, type RunDirs } from './helpers.js';

const SPEC: LaunchSpec = {
  command: [],
  cwd: '/work/m',
  input: '/tmp/run/in',
  output: '/tmp/run/out',
  status: '/tmp/run/status',
  manifest: '/tmp/run/machine.yaml',
  env: { MODEL: 'small' },
  network: false,
  nvidia: false,
  image: 'acme/lung:1.0',
};

const BASE = [
  ...['run', '--rm', '--pull=never', '--network', 'none', '--read-only', '--tmpfs', '/tmp'],
  ...['--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--user', '10001:10001'],
  ...['-v', '/tmp/run/in:/envoyai/input:ro', '-v', '/tmp/run/out:/envoyai/output'],
  ...['-v', '/tmp/run/status:/envoyai/status', '-v', '/tmp/run/machine.yaml:/envoyai/machine.yaml:ro'],
  ...['-e', 'HOME=/tmp', '-e', 'MODEL=small', '-e', 'BERTH_INPUT=/envoyai/input'],
  ...['-e', 'BERTH_OUTPUT=/envoyai/output', '-e', 'BERTH_STATUS=/envoyai/status'],
  ...['-e', 'BERTH_MANIFEST=/envoyai/machine.yaml'],
];

describe('harness/drivers/container', function () {
  describe('containerArgs (the plan, no engine needed)', () => {
    it('builds the exact podman and docker argument lists', () => {
      for (const engine of ['podman', 'docker'] as const) {
        const plan = containerArgs(SPEC, { engine, name: 'berth-abc', gpu: false, defaultNetworkNone: true });
        expect(plan.args).to.deep.equal([...BASE, '--name', 'berth-abc', 'acme/lung:1.0']);
        expect(plan.notices).to.deep.equal([]);
      }
    });

    it('mounts a writable input copy read-write (--writable-input), the input read-only otherwise', () => {
      const ro = containerArgs(SPEC, { engine: 'podman', name: 'n', gpu: false });
      const rw = containerArgs({ ...SPEC, writableInput: true }, { engine: 'podman', name: 'n', gpu: false });
      const inputVolume = (args: string[]) => args.find((a) => a.includes(':/envoyai/input'));
      expect(inputVolume(ro.args)).to.match(/:ro/);
      expect(inputVolume(rw.args)).to.not.match(/:ro/);
    });

    it('passes a command as the image arguments', () => {
      const plan = containerArgs(
        { ...SPEC, command: ['python3', '/app/main.py'] },
        { engine: 'podman', name: 'n', gpu: false },
      );
      expect(plan.args.slice(-4)).to.deep.equal(['n', 'acme/lung:1.0', 'python3', '/app/main.py']);
    });

    it('grants network only when asked: docker by its default network, podman here by the host network', () => {
      const docker = containerArgs({ ...SPEC, network: true }, { engine: 'docker', name: 'n', gpu: false });
      expect(docker.args).not.to.include('--network');
      expect(docker.notices).to.deep.equal([]);
      const podman = containerArgs(
        { ...SPEC, network: true },
        { engine: 'podman', name: 'n', gpu: false, defaultNetworkNone: true },
      );
      expect(podman.args.join(' ')).to.include('--network host');
      expect(podman.notices.join()).to.match(/network: true/);
      const podmanOwnConf = containerArgs(
        { ...SPEC, network: true },
        { engine: 'podman', name: 'n', gpu: false },
      );
      expect(podmanOwnConf.args).not.to.include('--network');
    });

    it('asks for the GPU the engine’s way, and says when there is none', () => {
      const nv = { ...SPEC, nvidia: true };
      expect(containerArgs(nv, { engine: 'docker', name: 'n', gpu: true }).args.join(' ')).to.include(
        '--gpus all',
      );
      expect(containerArgs(nv, { engine: 'podman', name: 'n', gpu: true }).args.join(' ')).to.include(
        '--device nvidia.com/gpu=all',
      );
      const none = containerArgs(nv, { engine: 'podman', name: 'n', gpu: false });
      expect(none.args).not.to.include('--device');
      expect(none.notices.join()).to.match(/nvidia: true was requested but/);
    });

    it('refuses what it cannot mount or run', () => {
      const o = { engine: 'podman', name: 'n', gpu: false } as const;
      expect(() => containerArgs({ ...SPEC, input: '/tmp/a:b' }, o)).to.throw(/contains ':'/);
      expect(() => containerArgs({ ...SPEC, output: 'relative' }, o)).to.throw(/not an absolute path/);
      expect(() => containerArgs({ ...SPEC, image: undefined }, o)).to.throw(/needs an image/);
    });
  });

  describe('podman configuration', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('writes private storage.conf and containers.conf with this host’s settings', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'berth-state-'));
      const { env, ownConfig } = await engineEnv('podman', path.join(dir, 'state'), { PATH: '/usr/bin' });
      expect(ownConfig).to.equal(true);
      expect(env.PATH).to.equal('/usr/bin');
      expect(env.CONTAINERS_STORAGE_CONF).to.equal(path.join(dir, 'state', 'storage.conf'));
      expect(await readFile(env.CONTAINERS_CONF!, 'utf8')).to.equal(containersConf(path.join(dir, 'state')));
      expect(await readFile(env.CONTAINERS_STORAGE_CONF!, 'utf8')).to.equal(
        storageConf(path.join(dir, 'state')),
      );
      expect((await stat(path.join(dir, 'state'))).mode & 0o777).to.equal(0o700);
      const conf = containersConf('/s');
      for (const line of [
        'netns = "none"',
        'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        'runtime = "runc"',
      ]) {
        expect(conf).to.include(line);
      }
      expect(storageConf('/s')).to.include(
        'driver = "overlay"\ngraphroot = "/s/storage"\nrunroot = "/s/run"',
      );
    });

    it('keeps the caller’s own configuration', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'berth-state-'));
      const { env, ownConfig } = await engineEnv('podman', path.join(dir, 'state'), {
        CONTAINERS_STORAGE_CONF: '/etc/mine/storage.conf',
        CONTAINERS_CONF: '/etc/mine/containers.conf',
      });
      expect(ownConfig).to.equal(false);
      expect(env.CONTAINERS_CONF).to.equal('/etc/mine/containers.conf');
      expect(await readdir(dir)).to.deep.equal([]);
    });

    it('says why an unknown engine cannot run', async () => {
      const why = await createContainerDriver().unavailable({ engine: 'lxc' });
      expect(why).to.match(/unknown container engine lxc/);
    });
  });

  // A real run: a two-megabyte image of static busybox, imported into a private podman store.
  describe('a real podman run (busybox image from scratch)', function () {
    this.timeout(120_000);
    let state: string | undefined;
    let podmanEnv: NodeJS.ProcessEnv = {};
    let dirs: RunDirs | undefined;
    // A store of the test's own, whatever the caller's environment says.
    const baseEnv = (): NodeJS.ProcessEnv => {
      const env = { ...process.env };
      delete env.CONTAINERS_STORAGE_CONF;
      delete env.CONTAINERS_CONF;
      return env;
    };
    const driver = () => createContainerDriver({ stateDir: state, env: baseEnv() });
    const IMAGE = 'localhost/berth-test-busybox:latest';

    const PODMAN_PEER: Peer = {
      name: 'rootful podman with runc, and a static busybox to build a test image',
      packages: ['podman', 'runc', 'busybox-static'],
      probe: async () => {
        if (process.getuid?.() !== 0) return false;
        await access('/bin/busybox');
        const probeState = await mkdtemp(path.join(tmpdir(), 'berth-podman-probe-'));
        try {
          const d = createContainerDriver({ stateDir: probeState, env: baseEnv() });
          return (await d.unavailable({ engine: 'podman' })) === undefined;
        } finally {
          await rm(probeState, { recursive: true, force: true });
        }
      },
    };

    const podman = (args: string[], input?: NodeJS.ReadableStream) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn('podman', args, {
          env: podmanEnv,
          stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        });
        let out = '';
        c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
        c.stderr?.on('data', (b: Buffer) => (out += b.toString()));
        if (input && c.stdin) input.pipe(c.stdin);
        c.once('close', (code) => resolve({ code, out }));
      });

    before(async function () {
      await requirePeer(this, PODMAN_PEER);
      state = await mkdtemp(path.join(tmpdir(), 'berth-podman-'));
      podmanEnv = (await engineEnv('podman', state, baseEnv())).env;
      const rootfs = path.join(state, 'rootfs');
      await mkdir(path.join(rootfs, 'bin'), { recursive: true });
      await copyFile('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
      await symlink('busybox', path.join(rootfs, 'bin', 'sh'));
      const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-cf', '-', '.'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const r = await podman(['import', '--change', 'CMD ["/bin/sh"]', '-', IMAGE], tar.stdout);
      expect(r.code).to.equal(0, r.out);
    });

    after(async function () {
      this.timeout(60_000);
      if (!state) return;
      await podman(['rm', '-af']);
      await podman(['rmi', '-af']);
      // Nothing may stay mounted under the store before it is removed.
      const mounts = (await readFile('/proc/mounts', 'utf8'))
        .split('\n')
        .map((l) => l.split(' ')[1] ?? '')
        .filter((m) => m.startsWith(state!))
        .sort()
        .reverse();
      for (const m of mounts) await new Promise((r) => spawn('umount', ['-l', m]).once('close', r));
      await rm(state, { recursive: true, force: true });
    });

    afterEach(async () => {
      await removeRun(dirs);
      dirs = undefined;
    });

    it('runs the image as the platform does: uid 10001, read-only input, no network', async function () {
      const listener = await loopbackListener();
      try {
        dirs = await makeRun({}, { age: '41' });
        const script = [
          'id -u > /envoyai/output/uid',
          'echo $(( $(cat /envoyai/input/age) + 1 )) > /envoyai/output/age-next-year',
          'echo x > /envoyai/input/new 2>/dev/null && echo yes > /envoyai/output/input-writable || echo no > /envoyai/output/input-writable',
          'touch /tmp/t && echo ok > /envoyai/output/tmp',
          'touch /etc/t 2>/dev/null || echo ro > /envoyai/output/root',
          `nc -w 2 127.0.0.1 ${listener.port} </dev/null >/dev/null 2>&1 && echo yes > /envoyai/output/net || echo no > /envoyai/output/net`,
          'echo "50%" >> /envoyai/status/progress',
          'echo "$BERTH_INPUT $HOME $MODEL" > /envoyai/output/env',
        ].join('; ');
        const launched = await driver().launch(
          specOf(dirs, ['/bin/busybox', 'sh', '-c', script], {
            image: IMAGE,
            engine: 'podman',
            env: { MODEL: 'm' },
          }),
        );
        const end = await waitEnd(launched, 60_000);
        await launched.cleanup();
        expect(end.code).to.equal(0, end.stderr);
        const out = (name: string) => readFile(path.join(dirs!.output, name), 'utf8');
        expect(await out('uid')).to.equal('10001\n');
        expect(await out('age-next-year')).to.equal('42\n');
        expect(await out('input-writable')).to.equal('no\n');
        expect(await out('tmp')).to.equal('ok\n');
        expect(await out('root')).to.equal('ro\n');
        expect(await out('net')).to.equal('no\n');
        expect(await out('env')).to.equal('/envoyai/input /tmp m\n');
        expect(await readFile(path.join(dirs.status, 'progress'), 'utf8')).to.equal('50%\n');
        expect((await stat(dirs.output)).uid).to.equal(10001);
      } finally {
        await listener.close();
      }
    });

    it('a setsid daemon holding stdout ends with the container: the run is not held and nothing survives', async function () {
      dirs = await makeRun({});
      const tag = `${900 + Math.floor(Math.random() * 99)}.${Date.now() % 100000}`;
      const script = `/bin/busybox setsid /bin/busybox sleep ${tag} & sleep 0.3; echo done`;
      const launched = await driver().launch(
        specOf(dirs, ['/bin/busybox', 'sh', '-c', script], { image: IMAGE, engine: 'podman' }),
      );
      const end = await waitEnd(launched, 30_000);
      await launched.cleanup();
      expect(end.stdout).to.include('done');
      const alive = readdirSync('/proc').filter((n) => {
        try {
          return /^\d+$/.test(n) && readFileSync(`/proc/${n}/cmdline`, 'latin1').split('\0').includes(tag);
        } catch {
          return false;
        }
      });
      expect(alive).to.deep.equal([]);
    });

    it('names the container by a given run id, so stopOrphan removes it once its client (berth) is gone', async function () {
      dirs = await makeRun({});
      const runId = newRunId();
      const script = 'echo 1% > /envoyai/status/progress; sleep 120';
      const launched = await driver().launch(
        specOf(dirs, ['/bin/busybox', 'sh', '-c', script], { image: IMAGE, engine: 'podman', runId }),
      );
      const started = Date.now() + 20_000;
      while (
        Date.now() < started &&
        !(await stat(path.join(dirs.status, 'progress')).catch(() => undefined))
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      // berth SIGKILLed: the engine client goes too; the container runs on under its monitor.
      process.kill(-launched.pgid!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      expect((await podman(['ps', '--format', '{{.Names}}'])).out.trim()).to.equal(`berth-run-${runId}`);
      const notes = await stopOrphan(
        { driver: 'container', runId, engine: 'podman' },
        { stateDir: state!, env: baseEnv() },
      );
      expect(notes.join('\n')).to.contain(`removed the container berth-run-${runId}`);
      expect((await podman(['ps', '-a', '--format', '{{.Names}}'])).out.trim()).to.equal('');
    });

    it('stop(500) ends a container that ignores SIGTERM, and cleanup leaves no container', async function () {
      dirs = await makeRun({});
      const launched = await driver().launch(
        specOf(
          dirs,
          ['/bin/busybox', 'sh', '-c', 'trap "" TERM; echo 1% > /envoyai/status/progress; sleep 120'],
          {
            image: IMAGE,
            engine: 'podman',
          },
        ),
      );
      const ended = waitEnd(launched, 60_000);
      const until = Date.now() + 20_000;
      while (Date.now() < until && !(await stat(path.join(dirs.status, 'progress')).catch(() => undefined))) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const pids = await launched.processes!();
      expect(pids.length).to.be.at.least(1);
      const t0 = Date.now();
      await launched.stop(500);
      const end = await ended;
      expect(Date.now() - t0).to.be.below(5000);
      expect(end.code).to.not.equal(0);
      await launched.cleanup();
      const ps = await podman(['ps', '-a', '--format', '{{.Names}}']);
      expect(ps.out.trim()).to.equal('');
    });
  });
});
