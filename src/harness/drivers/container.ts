/**
 * The `container` driver: runs the machine's image with podman or docker the way the EnvoyAI
 * platform does — no network, a read-only root with a tmpfs /tmp, no capabilities, no privilege
 * gain, an unprivileged user (10001), the input tree read-only and the output and status trees
 * writable at `/envoyai/...`.
 *
 * Ownership: uid 10001 in the container is uid 10001 on the host (rootful engines), so before the
 * run the output and status trees are chowned to 10001:10001 and the input tree is made
 * world-readable; after the run the machine's files there belong to 10001 (root can read and
 * remove them). Rootless podman maps 10001 to a sub-uid, so it chowns through `podman unshare`.
 *
 * podman keeps all of its state in a private folder unless the caller set CONTAINERS_CONF and
 * CONTAINERS_STORAGE_CONF: storage, runtime and the settings this kind of host needs
 * (`/work/shared/notes/containers.md`). Image builders must use the same environment
 * ({@link engineEnv}) to find their images here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Driver, LaunchSpec, Launched } from './driver.js';
import { exitOrDelay, hasExited, spawned } from './exit.js';
import { signalGroup } from './group.js';
import {
  chownTree,
  INSIDE,
  insideVariables,
  MACHINE_GID,
  MACHINE_UID,
  openTreeForReading,
} from './inside.js';
import { pidNamespaceOf, pidsInNamespace } from './namespace.js';
import { runShort as run } from './short-command.js';

/** The engines this driver can drive. */
export type Engine = 'podman' | 'docker';

/** Engines in the order tried when the spec names none. */
export const ENGINES: readonly Engine[] = ['podman', 'docker'];

/** The user machines run as, `--user` form. */
const USER = `${MACHINE_UID}:${MACHINE_GID}`;

/** Facts that shape the `run` arguments, besides the spec. */
export interface ContainerPlanOptions {
  engine: Engine;
  /** The container's name (`berth-<random>`). */
  name: string;
  /** Whether an NVIDIA GPU is present to hand over. */
  gpu: boolean;
  /**
   * podman only: the containers.conf in force sets `netns = "none"` (berth's own does), so
   * granting network needs an explicit `--network host` — this host cannot create bridges.
   */
  defaultNetworkNone?: boolean;
}

/** The engine's arguments and what could not be honoured. */
export interface ContainerPlan {
  args: string[];
  notices: string[];
}

/** A fresh container name. */
export function containerName(): string {
  return `berth-${randomBytes(6).toString('hex')}`;
}

/** The name of the container of a launch given a `runId` (found again by it after a crash). */
export function runContainerName(runId: string): string {
  return `berth-run-${runId}`;
}

/**
 * `-v` splits on `:`; a host path holding one would be read as options. Refused rather than
 * mis-mounted.
 */
function volume(host: string, inside: string, ro: boolean): string {
  if (host.includes(':')) throw new Error(`cannot mount ${host} into a container: the path contains ':'`);
  if (!path.isAbsolute(host)) throw new Error(`cannot mount ${host} into a container: not an absolute path`);
  return `${host}:${inside}${ro ? ':ro' : ''}`;
}

/**
 * The `run` arguments (without the engine executable) for a spec. Pure, for tests. An empty
 * `spec.command` runs the image as the platform does (its ENTRYPOINT/CMD, no arguments); a
 * non-empty one replaces the image's CMD.
 */
export function containerArgs(spec: LaunchSpec, options: ContainerPlanOptions): ContainerPlan {
  if (!spec.image) throw new Error('the container driver needs an image');
  const notices: string[] = [];
  const args = ['run', '--rm', '--pull=never'];
  if (!spec.network) {
    args.push('--network', 'none');
  } else if (options.engine === 'podman' && options.defaultNetworkNone) {
    args.push('--network', 'host');
    notices.push(
      "network: true — the container shares the host's network (no bridge networking on this host)",
    );
  }
  args.push(
    '--read-only',
    '--tmpfs',
    '/tmp',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--user',
    USER,
    '-v',
    volume(spec.input, INSIDE.input, !spec.writableInput),
    '-v',
    volume(spec.output, INSIDE.output, false),
    '-v',
    volume(spec.status, INSIDE.status, false),
    '-v',
    volume(spec.manifest, INSIDE.manifest, true),
  );
  // HOME=/tmp: with a read-only root, /tmp is the only place a library can keep its caches.
  const env: Record<string, string> = { HOME: '/tmp', ...spec.env, ...insideVariables() };
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  if (spec.nvidia) {
    if (options.gpu) {
      // docker's NVIDIA runtime hook vs. podman's Container Device Interface name.
      if (options.engine === 'docker') args.push('--gpus', 'all');
      else args.push('--device', 'nvidia.com/gpu=all');
    } else {
      notices.push(
        'nvidia: true was requested but this host has no NVIDIA GPU; the machine runs without one',
      );
    }
  }
  args.push('--name', options.name, spec.image, ...spec.command);
  return { args, notices };
}

/** Where berth keeps podman's private state: `$XDG_RUNTIME_DIR/berth` or `/tmp/berth-containers-<uid>`. */
export function containerStateDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg) return path.join(xdg, 'berth');
  return `/tmp/berth-containers-${process.getuid?.() ?? 0}`;
}

/** The text of berth's private storage.conf. */
export function storageConf(stateDir: string): string {
  // overlay, not vfs: vfs copies every layer (6x the space, far slower).
  return [
    '[storage]',
    'driver = "overlay"',
    `graphroot = ${JSON.stringify(path.join(stateDir, 'storage'))}`,
    `runroot = ${JSON.stringify(path.join(stateDir, 'run'))}`,
    '',
  ].join('\n');
}

/** The text of berth's private containers.conf (see `/work/shared/notes/containers.md`). */
export function containersConf(stateDir: string): string {
  return [
    '[containers]',
    // No bridge, no NAT rules, no IP forwarding: machines get no network by default anyway.
    'netns = "none"',
    // The host's hard limits cannot be raised from here; podman's defaults try to.
    'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
    '',
    '[engine]',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    // crun refuses this kind of host's cgroup layout; runc works.
    'runtime = "runc"',
    `tmp_dir = ${JSON.stringify(path.join(stateDir, 'tmp'))}`,
    '',
  ].join('\n');
}

/** The environment an engine runs in, and whether podman uses berth's own configuration. */
export interface EngineEnv {
  env: NodeJS.ProcessEnv;
  /** podman with berth's containers.conf (`netns = "none"`). */
  ownConfig: boolean;
}

/**
 * The environment to run `engine` in. For podman, creates berth's private storage.conf and
 * containers.conf under `stateDir` unless the caller set CONTAINERS_STORAGE_CONF /
 * CONTAINERS_CONF in `base`, and points those variables at them. docker runs in `base` unchanged.
 */
export async function engineEnv(
  engine: Engine,
  stateDir = containerStateDir(),
  base: NodeJS.ProcessEnv = process.env,
): Promise<EngineEnv> {
  const env: NodeJS.ProcessEnv = { ...base };
  if (engine !== 'podman') return { env, ownConfig: false };
  let ownConfig = false;
  if (!env.CONTAINERS_STORAGE_CONF || !env.CONTAINERS_CONF) {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    if (!env.CONTAINERS_STORAGE_CONF) {
      const file = path.join(stateDir, 'storage.conf');
      await writeFile(file, storageConf(stateDir));
      env.CONTAINERS_STORAGE_CONF = file;
    }
    if (!env.CONTAINERS_CONF) {
      const file = path.join(stateDir, 'containers.conf');
      await writeFile(file, containersConf(stateDir));
      env.CONTAINERS_CONF = file;
      ownConfig = true;
    }
  }
  return { env, ownConfig };
}

/** Whether an NVIDIA GPU is there to hand to a container (its control device exists). */
async function hasGpu(): Promise<boolean> {
  return access('/dev/nvidiactl').then(
    () => true,
    () => false,
  );
}

/** Why `engine` cannot run containers here, or undefined when it can. */
async function probeEngine(engine: Engine, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  // `version` of docker needs the daemon; `info` of podman needs working storage and runtime.
  const r =
    engine === 'docker'
      ? await run('docker', ['version', '--format', '{{.Server.Version}}'], env, 15_000)
      : await run('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], env, 30_000);
  if (r.error?.code === 'ENOENT') {
    const pkgs = engine === 'docker' ? 'docker.io' : 'podman runc';
    return `${engine} is not installed (apt-get install -y ${pkgs})`;
  }
  if (r.error) return `cannot run ${engine}: ${r.error.message}`;
  if (r.code !== 0)
    return `${engine} cannot run containers here: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`;
  return undefined;
}

/** Options of {@link createContainerDriver}. */
export interface ContainerOptions {
  /** podman's private state folder (default {@link containerStateDir}). */
  stateDir?: string;
  /** The environment the engine runs in (default: the harness's own). */
  env?: NodeJS.ProcessEnv;
}

/** Picks an engine; each engine's environment and probe are made once and kept. */
interface EngineChooser {
  envOf(engine: Engine): Promise<EngineEnv>;
  /** The engine to use: the named one, else the first that works; or why none can. */
  choose(named: string | undefined): Promise<{ engine?: Engine; why?: string }>;
}

function engineChooser(options: ContainerOptions): EngineChooser {
  const probes = new Map<Engine, Promise<string | undefined>>();
  const envs = new Map<Engine, Promise<EngineEnv>>();
  const envOf = (engine: Engine): Promise<EngineEnv> => {
    let e = envs.get(engine);
    if (!e) {
      e = engineEnv(engine, options.stateDir, options.env);
      envs.set(engine, e);
    }
    return e;
  };
  const probeOf = (engine: Engine): Promise<string | undefined> => {
    let p = probes.get(engine);
    if (!p) {
      p = envOf(engine).then(
        ({ env }) => probeEngine(engine, env),
        (e: Error) => `cannot prepare ${engine}'s configuration: ${e.message}`,
      );
      probes.set(engine, p);
    }
    return p;
  };
  const choose = async (named: string | undefined): Promise<{ engine?: Engine; why?: string }> => {
    if (named !== undefined) {
      if (!(ENGINES as readonly string[]).includes(named)) {
        return { why: `unknown container engine ${named} (use ${ENGINES.join(' or ')})` };
      }
      const why = await probeOf(named as Engine);
      return why ? { why } : { engine: named as Engine };
    }
    const reasons: string[] = [];
    for (const engine of ENGINES) {
      const why = await probeOf(engine);
      if (!why) return { engine };
      reasons.push(why);
    }
    return { why: reasons.join('; ') };
  };
  return { envOf, choose };
}

/**
 * Hands the trees to the container user: the output and status trees (and the machine's own
 * input copy under --writable-input) chowned to it, the input and manifest made readable.
 * Returns notices for what it could not or did do.
 */
async function handTreesOver(spec: LaunchSpec, engine: Engine, env: NodeJS.ProcessEnv): Promise<string[]> {
  const notices: string[] = [];
  const uid = process.getuid?.() ?? 0;
  const writable = [spec.output, spec.status, ...(spec.writableInput ? [spec.input] : [])];
  if (uid === 0) {
    for (const dir of writable) await chownTree(dir, MACHINE_UID, MACHINE_GID);
  } else if (engine === 'podman') {
    // Rootless: 10001 inside is a sub-uid outside; only podman's own user namespace can chown to it.
    const r = await run('podman', ['unshare', 'chown', '-R', USER, ...writable], env);
    if (r.code !== 0) throw new Error(`cannot hand the output trees to ${USER}: ${r.stderr.trim()}`);
  } else {
    notices.push(`not root: cannot chown the output trees to ${USER}; they must already be writable by it`);
  }
  const opened = await openTreeForReading(spec.input);
  if (opened > 0) notices.push(`made ${opened} input entries readable by the container user ${USER}`);
  await openTreeForReading(spec.manifest);
  return notices;
}

/**
 * The running container `name`, started by the engine client `child` (leader of its own group):
 * stopped through the engine, removed at cleanup, its processes found by its PID namespace.
 */
function launchedContainer(
  child: ChildProcess,
  engine: Engine,
  name: string,
  env: NodeJS.ProcessEnv,
  notices: string[],
): Launched {
  const pgid = child.pid;
  const killClient = (): void => {
    if (pgid !== undefined) signalGroup(pgid, 'SIGKILL');
  };
  return {
    child,
    pgid,
    notices,
    async stop(graceMs: number): Promise<void> {
      if (hasExited(child)) return;
      // The engine's stop sends SIGTERM to the container's pid 1 and SIGKILL after --time.
      const secs = Math.max(0, Math.ceil(graceMs / 1000));
      const stopping = run(engine, ['stop', '--time', String(secs), name], env, graceMs + 30_000);
      await exitOrDelay(child, graceMs + 5000);
      if (!hasExited(child)) {
        await run(engine, ['kill', name], env, 15_000);
        await exitOrDelay(child, 5000);
        killClient();
      }
      await stopping;
    },
    async cleanup(): Promise<void> {
      killClient();
      // --rm removes it on a normal exit; this catches a killed client or a failed start.
      await run(engine, ['rm', '-f', name], env, 30_000);
    },
    async processes(): Promise<number[]> {
      if (hasExited(child)) return [];
      const r = await run(engine, ['inspect', '--format', '{{.State.Pid}}', name], env, 10_000);
      const pid = Number(r.stdout.trim());
      if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0) return [];
      const ns = await pidNamespaceOf(pid);
      return ns === undefined ? [pid] : pidsInNamespace(ns);
    },
  };
}

/**
 * A container driver; {@link containerDriver} is the default one. A launch: choose the engine,
 * plan its arguments, hand the trees over, start the engine client, and wrap the container.
 */
export function createContainerDriver(options: ContainerOptions = {}): Driver {
  const engines = engineChooser(options);
  return {
    name: 'container',
    async unavailable(spec) {
      return (await engines.choose(spec.engine)).why;
    },
    async launch(spec: LaunchSpec): Promise<Launched> {
      const { engine, why } = await engines.choose(spec.engine);
      if (!engine) throw new Error(why ?? 'no container engine');
      const { env, ownConfig } = await engines.envOf(engine);
      const name = spec.runId === undefined ? containerName() : runContainerName(spec.runId);
      const plan = containerArgs(spec, { engine, name, gpu: await hasGpu(), defaultNetworkNone: ownConfig });
      plan.notices.push(...(await handTreesOver(spec, engine, env)));
      // The engine client leads its own group; the machine itself lives under the engine's monitor.
      const child = spawn(engine, plan.args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      await spawned(child);
      return launchedContainer(child, engine, name, env, plan.notices);
    },
  };
}

/** The container driver with default options. */
export const containerDriver: Driver = createContainerDriver();
