/**
 * The `sandbox` driver: runs the machine's command under bubblewrap (`bwrap`), so a machine
 * developed as a plain script meets the platform's rules without building an image: the trees at
 * the real `/envoyai/...` paths, the input read-only, no network, a private /tmp, and an
 * unprivileged user (uid 10001).
 *
 * The host's root filesystem is visible read-only, so the machine's interpreter (node, python3)
 * works unchanged — except `/root`, `/home` and `/run`, which are masked: host-root files appear
 * owned by the sandbox user (the user namespace maps the caller to 10001), so private keys in a
 * home directory and daemon sockets in /run (docker.sock) would otherwise be the machine's.
 */
import { spawn } from 'node:child_process';
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Driver, LaunchSpec, Launched } from './driver.js';
import { exitOrDelay, hasExited, spawned } from './exit.js';
import { signalGroup } from './group.js';
import { chownTree, INSIDE, insideVariables, isWithin, MACHINE_GID, MACHINE_UID } from './inside.js';
import { MASKED_DIRS, type HostView, type RootEntry } from './host-view.js';
import { placeLayout } from './layout.js';
import { pidsInNamespace, signalPid } from './namespace.js';

/** Top-level host entries never bound as they are: replaced (proc, dev, tmp, sys, envoyai) or masked. */
const NOT_BOUND = new Set(['proc', 'dev', 'tmp', 'sys', 'envoyai', 'lost+found']);

export { MASKED_DIRS, type HostView, type RootEntry } from './host-view.js';

/** The PATH a machine gets when the host has none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Options of {@link createSandboxDriver}. */
export interface SandboxOptions {
  /** The bwrap executable (default: `bwrap` on PATH). */
  bwrap?: string;
  /** Extra host paths to bind read-only at their own place (e.g. an interpreter under a masked home). */
  readOnly?: string[];
}

/** bwrap's arguments and what could not be honoured. */
export interface SandboxPlan {
  args: string[];
  notices: string[];
}

/** Reads the host facts {@link sandboxArgs} needs. */
export async function readHostView(): Promise<HostView> {
  const rootEntries: RootEntry[] = [];
  for (const ent of await readdir('/', { withFileTypes: true })) {
    if (ent.isSymbolicLink()) {
      rootEntries.push({ name: ent.name, kind: 'symlink', target: await readlink(path.join('/', ent.name)) });
    } else if (ent.isDirectory()) {
      rootEntries.push({ name: ent.name, kind: 'dir' });
    }
    // Plain files at / (.dockerenv …) are nothing a machine needs.
  }
  rootEntries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let gpuDevices: string[] = [];
  try {
    gpuDevices = (await readdir('/dev'))
      .filter((n) => /^nvidia/.test(n))
      .sort()
      .map((n) => `/dev/${n}`);
  } catch {
    // No /dev listing: no GPU to offer.
  }
  const view: HostView = { rootEntries, gpuDevices };
  try {
    const real = await realpath('/etc/resolv.conf');
    if (MASKED_DIRS.some((m) => isWithin(real, m))) view.resolvConfDir = path.dirname(real);
  } catch {
    // No resolv.conf: nothing to keep visible.
  }
  return view;
}

/** The namespaces every bwrap of this driver runs in (the network's is the caller's choice). */
const NAMESPACES: readonly string[] = [
  // The caller's uid becomes 10001: no root inside, and the trees the caller owns stay writable.
  '--unshare-user',
  '--uid',
  String(MACHINE_UID),
  '--gid',
  String(MACHINE_GID),
  // The machine is pid 1 of its own PID namespace, as in a container started without --init:
  // SIGTERM reaches it only if it handles it, and bwrap outside reaps it directly. (bwrap's own
  // init would exit after reporting, before the namespace is torn down, and be left as a
  // zombie of the host's init — forever on hosts whose pid 1 does not reap.)
  '--unshare-pid',
  '--as-pid-1',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-cgroup-try',
];

/**
 * The bwrap arguments (without the executable) for a spec. Pure: everything about the host
 * comes in `host`, so the plan can be tested without bwrap.
 *
 * Order matters to bwrap: mounts apply in sequence, so /tmp's tmpfs precedes binds below /tmp
 * (the machine's directory is often there), and `--remount-ro /` comes after the last mount
 * point it had to create.
 */
export function sandboxArgs(spec: LaunchSpec, host: HostView, options: SandboxOptions = {}): SandboxPlan {
  const notices: string[] = [];
  const args: string[] = [...NAMESPACES];
  if (spec.network) {
    notices.push("network: true — the sandbox shares the host's network (no isolation of its own)");
  } else {
    args.push('--unshare-net');
  }
  args.push('--hostname', 'berth', '--die-with-parent', '--new-session');

  for (const ent of host.rootEntries) {
    if (NOT_BOUND.has(ent.name)) continue;
    const at = `/${ent.name}`;
    if (MASKED_DIRS.includes(at as (typeof MASKED_DIRS)[number])) continue;
    if (ent.kind === 'symlink') args.push('--symlink', ent.target, at);
    else args.push('--ro-bind', at, at);
  }
  args.push('--ro-bind-try', '/sys', '/sys', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  for (const m of MASKED_DIRS) {
    if (host.rootEntries.some((e) => e.kind === 'dir' && `/${e.name}` === m)) args.push('--tmpfs', m);
  }
  if (spec.network && host.resolvConfDir) args.push('--ro-bind-try', host.resolvConfDir, host.resolvConfDir);

  if (spec.nvidia) {
    if (host.gpuDevices.length > 0) {
      for (const d of host.gpuDevices) args.push('--dev-bind', d, d);
      notices.push('nvidia: true — the host NVIDIA devices are bound into the sandbox');
    } else {
      notices.push(
        'nvidia: true was requested but this host has no NVIDIA device; the machine runs without a GPU',
      );
    }
  }

  args.push(
    '--dir',
    '/envoyai',
    spec.writableInput ? '--bind' : '--ro-bind',
    spec.input,
    INSIDE.input,
    '--bind',
    spec.output,
    INSIDE.output,
    '--bind',
    spec.status,
    INSIDE.status,
    '--ro-bind',
    spec.manifest,
    INSIDE.manifest,
  );
  for (const p of options.readOnly ?? []) args.push('--ro-bind', p, p);
  for (const b of spec.binds ?? []) args.push(b.writable ? '--bind' : '--ro-bind', b.path, b.path);
  // The machine folder, at its own place and where its Dockerfile's `ADD . <dir>` puts it.
  args.push('--ro-bind', spec.cwd, spec.cwd);
  if (spec.contextAt && spec.contextAt !== spec.cwd) args.push('--ro-bind', spec.cwd, spec.contextAt);
  if (spec.workdir && !(spec.contextAt && isWithin(spec.workdir, spec.contextAt)))
    args.push('--dir', spec.workdir);
  args.push('--remount-ro', '/', '--chdir', spec.workdir ?? spec.cwd);
  // bwrap reports the machine's host pid and namespaces on fd 3: how stop() reaches the machine.
  args.push('--info-fd', '3', '--', ...spec.command);

  const exe = spec.command[0];
  if (exe !== undefined && path.isAbsolute(exe)) {
    const hidden = MASKED_DIRS.find((m) => isWithin(exe, m));
    const rebound = [spec.cwd, ...(options.readOnly ?? []), ...(spec.binds ?? []).map((b) => b.path)].some(
      (p) => isWithin(exe, p),
    );
    if (hidden && !rebound) {
      notices.push(
        `${exe} lies under ${hidden}, which the sandbox masks; bind its install directory read-only`,
      );
    }
  }
  return { args, notices };
}

/** The machine's environment: a clean one, not the harness's. */
export function sandboxEnv(spec: LaunchSpec): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? DEFAULT_PATH,
    HOME: '/tmp',
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...spec.env,
    ...insideVariables(),
  };
}

/** What bwrap's `--info-fd` says. */
interface SandboxInfo {
  /** Host pid of the machine (pid 1 in its namespace). */
  childPid: number;
  /** Inode of the sandbox's PID namespace. */
  pidNamespace: number | undefined;
}

/** Reads bwrap's info JSON from fd 3 (bwrap writes it once and closes it). */
function readInfo(stream: Readable | null | undefined): Promise<SandboxInfo | undefined> {
  if (!stream) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => resolve(undefined));
    stream.on('close', () => {
      try {
        const j = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        const pid = j['child-pid'];
        const ns = j['pid-namespace'];
        resolve(
          typeof pid === 'number'
            ? { childPid: pid, pidNamespace: typeof ns === 'number' ? ns : undefined }
            : undefined,
        );
      } catch {
        resolve(undefined);
      }
    });
  });
}

/**
 * Runs bwrap once with the driver's namespaces: some hosts (containers without user namespaces,
 * `kernel.unprivileged_userns_clone=0`, AppArmor's userns restriction) have bwrap but cannot use it.
 */
function probe(bwrap: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(
      bwrap,
      [
        ...NAMESPACES,
        '--unshare-net',
        '--die-with-parent',
        '--new-session',
        '--ro-bind',
        '/',
        '/',
        '--proc',
        '/proc',
        '--dev',
        '/dev',
        '--tmpfs',
        '/tmp',
        '--',
        'true',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000, killSignal: 'SIGKILL' },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('error', (e: NodeJS.ErrnoException) =>
      resolve(
        e.code === 'ENOENT'
          ? `bubblewrap is not installed (${bwrap} not found; apt-get install -y bubblewrap)`
          : `cannot run ${bwrap}: ${e.message}`,
      ),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolve(undefined);
      else
        resolve(
          `bubblewrap cannot create its namespaces here (${signal ?? `exit ${code}`}): ${err.trim() || 'no message'}`,
        );
    });
  });
}

/** A sandbox driver; {@link sandboxDriver} is the default one. */
export function createSandboxDriver(options: SandboxOptions = {}): Driver {
  const bwrap = options.bwrap ?? 'bwrap';
  let probed: Promise<string | undefined> | undefined;
  return {
    name: 'sandbox',
    // Bound read-only (bwrap --ro-bind), owned by the caller mapped to 10001: no chmod needed.
    inputReadOnly: true,
    unavailable() {
      probed ??= probe(bwrap);
      return probed;
    },
    async launch(spec: LaunchSpec): Promise<Launched> {
      if (spec.command.length === 0) throw new Error('empty command');
      // Inside, the caller's uid is 10001: the writable trees must be the caller's (root may fix that).
      const uid = process.getuid?.() ?? 0;
      const gid = process.getgid?.() ?? 0;
      for (const dir of [spec.output, spec.status]) {
        const st = await lstat(dir);
        if (st.uid === uid) continue;
        if (uid !== 0) {
          throw new Error(
            `${dir} belongs to uid ${st.uid}; the sandbox can only write trees owned by uid ${uid}`,
          );
        }
        await chownTree(dir, uid, gid);
      }
      const host = await readHostView();
      const placed = await placeLayout(spec, host);
      const plan = sandboxArgs(placed.spec, host, options);
      plan.notices.unshift(...placed.notices);
      // Its own process group; the machine itself is in bwrap's new session (see stop()).
      const child = spawn(bwrap, plan.args, {
        cwd: '/',
        env: sandboxEnv(spec),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      });
      const info = readInfo(child.stdio[3] as Readable | null);
      await spawned(child);
      const pgid = child.pid;

      const killAll = async (): Promise<void> => {
        // Once bwrap outside has exited, the machine (and so the whole namespace) is gone too.
        if (hasExited(child)) return;
        const i = await Promise.race([info, Promise.resolve(undefined)]);
        // SIGKILL to the machine first: as pid 1 its death makes the kernel kill every process in
        // its namespace, and bwrap outside — its parent — reaps it and exits. Killing bwrap first
        // would orphan it to the host's init, a zombie until that one gets round to reaping.
        // (bwrap alive means the machine is not yet reaped, so its pid cannot have been reused.)
        if (i && signalPid(i.childPid, 'SIGKILL')) await exitOrDelay(child, 1000);
        if (!hasExited(child) && pgid !== undefined) signalGroup(pgid, 'SIGKILL');
      };

      return {
        child,
        pgid,
        notices: plan.notices,
        async stop(graceMs: number): Promise<void> {
          if (hasExited(child)) return;
          // Not SIGTERM to bwrap's group: bwrap does not forward signals, it would just die and its
          // death would SIGKILL the machine (--die-with-parent) with no grace. The machine's
          // processes are found by their PID namespace (which they cannot leave, unlike a process
          // group) and asked to stop directly. The machine is pid 1 there: without a SIGTERM
          // handler it ignores the request, as in a container, and SIGKILL follows after the grace.
          const i = await Promise.race([
            info,
            new Promise<undefined>((r) => {
              setTimeout(() => r(undefined), Math.min(graceMs, 1000)).unref();
            }),
          ]);
          if (i?.pidNamespace !== undefined) {
            for (const pid of await pidsInNamespace(i.pidNamespace)) {
              signalPid(pid, 'SIGTERM');
            }
          }
          await exitOrDelay(child, graceMs);
          await killAll();
          await exitOrDelay(child, 2000);
        },
        cleanup: killAll,
        async processes(): Promise<number[]> {
          if (hasExited(child)) return [];
          const i = await info;
          if (i?.pidNamespace === undefined) return [];
          return pidsInNamespace(i.pidNamespace);
        },
      };
    },
  };
}

/** The sandbox driver with default options (`bwrap` on PATH). */
export const sandboxDriver: Driver = createSandboxDriver();
