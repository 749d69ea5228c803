import { spawn } from 'node:child_process';
import { chown, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { containerDriver } from '../../../src/harness/drivers/container.js';
import { processDriver } from '../../../src/harness/drivers/process.js';
import {
  createSandboxDriver,
  sandboxArgs,
  sandboxDriver,
  sandboxEnv,
  type HostView,
} from '../../../src/harness/drivers/sandbox.js';
import { BWRAP_PEER } from '../../support/bwrap.js';
import { requirePeer } from '../../support/peers.js';
import { SYSTEM_PYTHON } from '../../support/python.js';
import {
  loopbackListener,
  makeRun,
  pidAlive,
  removeRun,
  specOf,
  waitEnd,
  waitFor,
  waitGone,
  type RunDirs,
} from './helpers.js';

/** A machine in the EnvoyAI example style: fixed /envoyai paths, reads a value, writes one, reports. */
const PY_MACHINE = `#!/usr/bin/env python3
import errno, json, os, socket, sys

INPUT_DIR = '/envoyai/input'
OUTPUT_DIR = '/envoyai/output'
STATUS_DIR = '/envoyai/status'


def progress(p):
    with open(os.path.join(STATUS_DIR, 'progress'), 'a') as f:
        f.write('%d%%\\n' % p)


def attempt(fn):
    try:
        fn()
        return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def connect(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(('127.0.0.1', port))
    finally:
        s.close()


def main():
    progress(1)
    with open(os.path.join(INPUT_DIR, 'age')) as f:
        age = int(f.read().strip())
    with open(os.path.join(OUTPUT_DIR, 'age-next-year'), 'w') as f:
        f.write(str(age + 1))
    port = int(os.environ['PORT'])
    marker = os.environ['HOST_TMP_MARKER']
    report = {
        'uid': os.getuid(), 'euid': os.geteuid(), 'gid': os.getgid(),
        'cwd': os.getcwd(),
        'env': {k: v for k, v in os.environ.items() if k.startswith('BERTH_') or k in ('HOME', 'EXTRA')},
        'write_input': attempt(lambda: open(os.path.join(INPUT_DIR, 'new'), 'w').write('x')),
        'remove_input': attempt(lambda: os.remove(os.path.join(INPUT_DIR, 'age'))),
        'write_root': attempt(lambda: open('/berth-was-here', 'w').write('x')),
        'write_machine_dir': attempt(lambda: open('written-by-machine', 'w').write('x')),
        'write_tmp': attempt(lambda: open('/tmp/scratch', 'w').write('x')),
        'tmp_entries': sorted(os.listdir('/tmp')),
        'host_marker_visible': os.path.exists(marker),
        'connect': attempt(lambda: connect(port)),
        'manifest': open('/envoyai/machine.yaml').read().startswith('metadata-version'),
        'pid': os.getpid(),
    }
    with open(os.path.join(OUTPUT_DIR, 'report.json'), 'w') as f:
        json.dump(report, f)
    progress(100)
    return 0


if __name__ == '__main__':
    sys.exit(main())
`;

/** The same checks from a Node machine. */
const NODE_MACHINE = `import { writeFileSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
const attempt = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code; } };
const connect = (port) => new Promise((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port, timeout: 3000 });
  s.on('connect', () => { s.destroy(); resolve('ok'); });
  s.on('timeout', () => { s.destroy(); resolve('ETIMEDOUT'); });
  s.on('error', (e) => resolve(e.code));
});
const value = readFileSync('/envoyai/input/name', 'utf8').trim();
writeFileSync('/envoyai/output/greeting', 'hello ' + value);
const report = {
  uid: process.getuid(), gid: process.getgid(),
  writeInput: attempt(() => writeFileSync('/envoyai/input/new', 'x')),
  writeTmp: attempt(() => writeFileSync('/tmp/scratch', 'x')),
  tmpEntries: readdirSync('/tmp'),
  connect: await connect(Number(process.env.PORT)),
};
writeFileSync('/envoyai/output/report.json', JSON.stringify(report));
`;

/** Prints its host-visible pid via the harness, ignores SIGTERM, sleeps. */
const STUBBORN = `import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open('/envoyai/status/progress', 'a').write('1%\\n')
time.sleep(120)
`;

/** Exits cleanly on SIGTERM, leaving a word in the output. */
const GRACEFUL = `import signal, sys, time
def on_term(*_):
    open('/envoyai/output/terminated', 'w').write('yes')
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
open('/envoyai/status/progress', 'a').write('1%\\n')
time.sleep(120)
`;

/** Starts a grandchild in a session of its own (it leaves the machine's group), then waits or exits. */
const FORKER = `import subprocess, sys, time
child = subprocess.Popen(['sleep', '120'], start_new_session=True)
grand = subprocess.Popen(['sh', '-c', 'sleep 120 & sleep 120'])
open('/envoyai/status/progress', 'a').write('1%\\n')
time.sleep(float(sys.argv[1]))
`;

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Reads the progress file once the machine has written to it. */
async function started(dirs: RunDirs): Promise<boolean> {
  return waitFor(
    () =>
      readFile(path.join(dirs.status, 'progress'), 'utf8').then(
        (t) => t.length > 0,
        () => false,
      ),
    10_000,
  );
}

const HOST: HostView = {
  rootEntries: [
    { name: 'bin', kind: 'symlink', target: 'usr/bin' },
    { name: 'dev', kind: 'dir' },
    { name: 'etc', kind: 'dir' },
    { name: 'home', kind: 'dir' },
    { name: 'proc', kind: 'dir' },
    { name: 'root', kind: 'dir' },
    { name: 'run', kind: 'dir' },
    { name: 'tmp', kind: 'dir' },
    { name: 'usr', kind: 'dir' },
  ],
  gpuDevices: [],
};

describe('harness/drivers/sandbox', function () {
  describe('sandboxArgs (the plan, no bwrap needed)', () => {
    const spec = {
      command: ['/usr/bin/python3', 'main.py'],
      cwd: '/tmp/run/machine',
      input: '/tmp/run/in',
      output: '/tmp/run/out',
      status: '/tmp/run/status',
      manifest: '/tmp/run/machine.yaml',
      env: {},
      network: false,
      nvidia: false,
    };

    it('lays the machine folder at the Dockerfile ADD destination, starts in its WORKDIR, binds what it was given, and binds a writable input read-write', () => {
      const { args } = sandboxArgs(
        {
          ...spec,
          contextAt: '/prog',
          workdir: '/prog',
          writableInput: true,
          binds: [
            { path: '/home/u/venv', writable: false },
            { path: '/home/u/scratch', writable: true },
          ],
        },
        HOST,
      );
      const at = (flag: string, from: string, to: string) =>
        args.some((a, i) => a === flag && args[i + 1] === from && args[i + 2] === to);
      expect(at('--bind', '/tmp/run/in', '/envoyai/input')).to.equal(true);
      expect(at('--ro-bind', '/tmp/run/machine', '/prog')).to.equal(true);
      expect(at('--ro-bind', '/home/u/venv', '/home/u/venv')).to.equal(true);
      expect(at('--bind', '/home/u/scratch', '/home/u/scratch')).to.equal(true);
      expect(args[args.indexOf('--chdir') + 1]).to.equal('/prog');
      // Binds come after the masks they reach under, and before the root is made read-only.
      expect(args.indexOf('/home/u/venv')).to.be.greaterThan(args.lastIndexOf('/home'));
      expect(args.indexOf('/home/u/venv')).to.be.lessThan(args.indexOf('--remount-ro'));
    });

    it('builds the exact argument list', () => {
      const { args, notices } = sandboxArgs(spec, HOST);
      expect(notices).to.deep.equal([]);
      expect(args).to.deep.equal([
        ...['--unshare-user', '--uid', '10001', '--gid', '10001'],
        ...[
          '--unshare-pid',
          '--as-pid-1',
          '--unshare-ipc',
          '--unshare-uts',
          '--unshare-cgroup-try',
          '--unshare-net',
        ],
        ...['--hostname', 'berth', '--die-with-parent', '--new-session'],
        ...['--symlink', 'usr/bin', '/bin', '--ro-bind', '/etc', '/etc', '--ro-bind', '/usr', '/usr'],
        ...['--ro-bind-try', '/sys', '/sys', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp'],
        ...['--tmpfs', '/root', '--tmpfs', '/home', '--tmpfs', '/run'],
        ...['--dir', '/envoyai', '--ro-bind', '/tmp/run/in', '/envoyai/input'],
        ...['--bind', '/tmp/run/out', '/envoyai/output', '--bind', '/tmp/run/status', '/envoyai/status'],
        ...['--ro-bind', '/tmp/run/machine.yaml', '/envoyai/machine.yaml'],
        ...[
          '--ro-bind',
          '/tmp/run/machine',
          '/tmp/run/machine',
          '--remount-ro',
          '/',
          '--chdir',
          '/tmp/run/machine',
        ],
        ...['--info-fd', '3', '--', '/usr/bin/python3', 'main.py'],
      ]);
    });

    it('shares the network only when the manifest asks, and says so', () => {
      const { args, notices } = sandboxArgs(
        { ...spec, network: true },
        { ...HOST, resolvConfDir: '/run/systemd/resolve' },
      );
      expect(args).not.to.include('--unshare-net');
      expect(args.join(' ')).to.include('--ro-bind-try /run/systemd/resolve /run/systemd/resolve');
      expect(notices.join()).to.match(/network: true/);
    });

    it('binds NVIDIA devices when present and says when a GPU cannot be given', () => {
      const withGpu = sandboxArgs(
        { ...spec, nvidia: true },
        { ...HOST, gpuDevices: ['/dev/nvidia0', '/dev/nvidiactl'] },
      );
      expect(withGpu.args.join(' ')).to.include(
        '--dev-bind /dev/nvidia0 /dev/nvidia0 --dev-bind /dev/nvidiactl',
      );
      const without = sandboxArgs({ ...spec, nvidia: true }, HOST);
      expect(without.args).not.to.include('--dev-bind');
      expect(without.notices.join()).to.match(/nvidia: true was requested but/);
    });

    it('warns when the interpreter lies in a masked directory, unless it is bound', () => {
      const cmd = { ...spec, command: ['/root/.pyenv/shims/python3', 'main.py'] };
      expect(sandboxArgs(cmd, HOST).notices.join()).to.match(/lies under \/root/);
      const bound = sandboxArgs(cmd, HOST, { readOnly: ['/root/.pyenv'] });
      expect(bound.notices).to.deep.equal([]);
      expect(bound.args.join(' ')).to.include('--ro-bind /root/.pyenv /root/.pyenv');
    });

    it('gives a clean environment with the BERTH_* paths winning over the spec', () => {
      const env = sandboxEnv({ ...spec, env: { EXTRA: '1', BERTH_INPUT: '/elsewhere' } });
      expect(env).to.include({ HOME: '/tmp', EXTRA: '1', BERTH_INPUT: '/envoyai/input' });
      expect(env.BERTH_OUTPUT).to.equal('/envoyai/output');
      expect(env.BERTH_MANIFEST).to.equal('/envoyai/machine.yaml');
      expect(Object.keys(env).sort()).to.deep.equal(
        [
          'BERTH_INPUT',
          'BERTH_MANIFEST',
          'BERTH_OUTPUT',
          'BERTH_STATUS',
          'EXTRA',
          'HOME',
          'LANG',
          'PATH',
        ].sort(),
      );
    });
  });

  it('tells the run that its machines get the input read-only (inputReadOnly), as the process and container drivers do not', () => {
    expect(sandboxDriver.inputReadOnly).to.equal(true);
    // The process driver's input is writable; the container driver makes the input readable (chmod).
    expect(processDriver.inputReadOnly).to.equal(undefined);
    expect(containerDriver.inputReadOnly).to.equal(undefined);
  });

  describe('unavailable', () => {
    it('names the package when bwrap is missing', async () => {
      const why = await createSandboxDriver({ bwrap: '/nonexistent/bwrap' }).unavailable({});
      expect(why).to.match(/bubblewrap is not installed.*apt-get install -y bubblewrap/);
    });
  });

  describe('running machines', function () {
    let dirs: RunDirs | undefined;
    let listener: { port: number; close: () => Promise<void> } | undefined;
    let marker: string;

    beforeEach(async function () {
      await requirePeer(this, BWRAP_PEER);
      listener = await loopbackListener();
      marker = path.join(tmpdir(), `berth-host-marker-${process.pid}`);
      await writeFile(marker, 'host');
    });
    afterEach(async () => {
      await listener?.close();
      listener = undefined;
      await removeRun(dirs);
      dirs = undefined;
      await rm(marker, { force: true });
    });

    it('runs an EnvoyAI-style Python machine unchanged, isolated as on the platform', async function () {
      dirs = await makeRun({ 'main.py': PY_MACHINE }, { age: '41' });
      const port = listener!.port;
      // Bare, the listener answers: the refusal below is the sandbox's doing.
      const bare = await new Promise<number | null>((resolve) => {
        const c = spawn(SYSTEM_PYTHON, [
          '-c',
          `import socket; s=socket.create_connection(('127.0.0.1', ${port}), 3); s.close()`,
        ]);
        c.once('close', resolve);
      });
      expect(bare).to.equal(0);

      const launched = await sandboxDriver.launch(
        specOf(dirs, [SYSTEM_PYTHON, 'main.py'], {
          env: { PORT: String(port), HOST_TMP_MARKER: marker, EXTRA: 'x' },
        }),
      );
      expect(launched.notices).to.deep.equal([]);
      const end = await waitEnd(launched);
      expect(end.stderr).to.equal('');
      expect(end.code).to.equal(0);
      expect(await readFile(path.join(dirs.output, 'age-next-year'), 'utf8')).to.equal('42');
      expect(await readFile(path.join(dirs.status, 'progress'), 'utf8')).to.equal('1%\n100%\n');
      const r = JSON.parse(await readFile(path.join(dirs.output, 'report.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(r).to.include({ uid: 10001, euid: 10001, gid: 10001, cwd: dirs.machine, manifest: true });
      expect(r.env).to.deep.equal({
        BERTH_INPUT: '/envoyai/input',
        BERTH_OUTPUT: '/envoyai/output',
        BERTH_STATUS: '/envoyai/status',
        BERTH_MANIFEST: '/envoyai/machine.yaml',
        HOME: '/tmp',
        EXTRA: 'x',
      });
      expect(r.write_input).to.be.oneOf(['EROFS', 'EACCES']);
      expect(r.remove_input).to.be.oneOf(['EROFS', 'EACCES']);
      expect(r.write_root).to.be.oneOf(['EROFS', 'EACCES']);
      expect(r.write_machine_dir).to.be.oneOf(['EROFS', 'EACCES']);
      expect(r.write_tmp).to.equal('ok');
      // A private /tmp: the host's temp files are not there, only the machine's own (and the
      // parent of its directory, which bwrap creates to bind it).
      expect(r.host_marker_visible).to.equal(false);
      expect(r.tmp_entries).to.include('scratch');
      expect(r.tmp_entries).not.to.include(path.basename(marker));
      expect(r.connect).to.be.oneOf(['ECONNREFUSED', 'ENETUNREACH']);
      expect(r.pid).to.equal(1); // pid 1 of its own PID namespace, as in a container
      // Nothing leaked to the host.
      expect(await readFile(path.join(dirs.input, 'age'), 'utf8')).to.equal('41');
      expect(await exists(path.join(dirs.input, 'new'))).to.equal(false);
      expect(await exists(path.join(dirs.machine, 'written-by-machine'))).to.equal(false);
      expect(await exists(path.join(tmpdir(), 'scratch'))).to.equal(false);
      await launched.cleanup();
    });

    it('runs a Node machine with the same rules', async function () {
      dirs = await makeRun({ 'main.mjs': NODE_MACHINE }, { name: 'berth' });
      const launched = await sandboxDriver.launch(
        specOf(dirs, [process.execPath, 'main.mjs'], { env: { PORT: String(listener!.port) } }),
      );
      const end = await waitEnd(launched);
      expect(end.stderr).to.equal('');
      expect(end.code).to.equal(0);
      expect(await readFile(path.join(dirs.output, 'greeting'), 'utf8')).to.equal('hello berth');
      const r = JSON.parse(await readFile(path.join(dirs.output, 'report.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(r).to.include({ uid: 10001, gid: 10001, writeTmp: 'ok' });
      expect(r.writeInput).to.be.oneOf(['EROFS', 'EACCES']);
      expect(r.tmpEntries).to.include('scratch');
      expect(r.connect).to.be.oneOf(['ECONNREFUSED', 'ENETUNREACH']);
    });

    it('grants the network when the manifest says network: true, with a notice', async function () {
      dirs = await makeRun({ 'main.py': PY_MACHINE }, { age: '1' });
      const launched = await sandboxDriver.launch(
        specOf(dirs, [SYSTEM_PYTHON, 'main.py'], {
          network: true,
          env: { PORT: String(listener!.port), HOST_TMP_MARKER: marker },
        }),
      );
      expect(launched.notices.join()).to.match(/network: true/);
      const end = await waitEnd(launched);
      expect(end.code).to.equal(0, end.stderr);
      const r = JSON.parse(await readFile(path.join(dirs.output, 'report.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(r.connect).to.equal('ok');
    });

    it('passes the exit code through', async function () {
      dirs = await makeRun({ 'fail.py': 'import sys\nsys.stderr.write("boom\\n")\nsys.exit(3)\n' });
      const end = await waitEnd(await sandboxDriver.launch(specOf(dirs, [SYSTEM_PYTHON, 'fail.py'])));
      expect(end.code).to.equal(3);
      expect(end.stderr).to.equal('boom\n');
    });

    it('takes back trees owned by another uid (root only)', async function () {
      if (process.getuid?.() !== 0) this.skip();
      dirs = await makeRun({ 'w.py': "open('/envoyai/output/x', 'w').write('1')\n" });
      await chown(dirs.output, 10001, 10001);
      const end = await waitEnd(await sandboxDriver.launch(specOf(dirs, [SYSTEM_PYTHON, 'w.py'])));
      expect(end.code).to.equal(0, end.stderr);
      expect((await stat(dirs.output)).uid).to.equal(0);
      expect(await readFile(path.join(dirs.output, 'x'), 'utf8')).to.equal('1');
    });

    it('stop(500) kills a machine that ignores SIGTERM within 2 s, leaving no process', async function () {
      dirs = await makeRun({ 'stubborn.py': STUBBORN });
      const launched = await sandboxDriver.launch(specOf(dirs, [SYSTEM_PYTHON, 'stubborn.py']));
      const ended = waitEnd(launched);
      expect(await started(dirs)).to.equal(true);
      const pids = await launched.processes!();
      expect(pids).to.have.length(1); // python, pid 1 of its namespace
      const t0 = Date.now();
      await launched.stop(500);
      const end = await ended;
      expect(Date.now() - t0).to.be.below(2000);
      expect(end.code === null ? end.signal : end.code).to.not.equal(0);
      expect(await waitGone([...pids, launched.pgid!], 500)).to.deep.equal([]);
      expect(pidAlive(-launched.pgid!)).to.equal(false);
      expect(await launched.processes!()).to.deep.equal([]);
    });

    it('stop() lets a machine that handles SIGTERM finish cleanly', async function () {
      dirs = await makeRun({ 'graceful.py': GRACEFUL });
      const launched = await sandboxDriver.launch(specOf(dirs, [SYSTEM_PYTHON, 'graceful.py']));
      const ended = waitEnd(launched);
      expect(await started(dirs)).to.equal(true);
      const t0 = Date.now();
      await launched.stop(10_000);
      const end = await ended;
      expect(Date.now() - t0).to.be.below(3000);
      expect(end.code).to.equal(0, end.stderr);
      expect(await readFile(path.join(dirs.output, 'terminated'), 'utf8')).to.equal('yes');
    });

    it('stop() kills grandchildren too, even those in sessions of their own', async function () {
      dirs = await makeRun({ 'forker.py': FORKER });
      const launched = await sandboxDriver.launch(specOf(dirs, [SYSTEM_PYTHON, 'forker.py', '120']));
      const ended = waitEnd(launched);
      expect(await started(dirs)).to.equal(true);
      let pids: number[] = [];
      // python, sleep (own session), sh, and its two sleeps.
      expect(await waitFor(async () => (pids = await launched.processes!()).length >= 5, 5000)).to.equal(
        true,
        String(pids),
      );
      await launched.stop(500);
      await ended;
      expect(await waitGone(pids, 500)).to.deep.equal([]);
    });

    it('leaves no orphan when the machine exits and its grandchildren do not', async function () {
      dirs = await makeRun({ 'forker.py': FORKER });
      const launched = await sandboxDriver.launch(specOf(dirs, [SYSTEM_PYTHON, 'forker.py', '1.5']));
      const ended = waitEnd(launched);
      expect(await started(dirs)).to.equal(true);
      let pids: number[] = [];
      expect(await waitFor(async () => (pids = await launched.processes!()).length >= 5, 5000)).to.equal(
        true,
        String(pids),
      );
      const end = await ended;
      expect(end.code).to.equal(0, end.stderr);
      expect(await waitGone(pids, 500)).to.deep.equal([]);
      await launched.cleanup();
    });
  });
});
