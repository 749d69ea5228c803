/**
 * What a sandboxed command needs from the host beyond the read-only root, found before the run:
 * the sandbox masks `/root`, `/home` and `/run` and gives a fresh `/tmp`, so a machine living
 * there, its `node_modules` chain, a `file:`-linked package, its package root (Node's self-reference
 * of `import 'berth'`), a Python venv or an interpreter installed under a home directory would all
 * vanish. Each such path is bound read-only at its own place, and the interpreter the sandbox
 * will run is compared with the host's.
 */
import { constants } from 'node:fs';
import { access, lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Driver } from './driver.js';
import { isWithin } from './inside.js';
import { MASKED_DIRS } from './host-view.js';

/** Binds and notices for a sandboxed run. */
export interface Needs {
  binds: { path: string; writable: boolean }[];
  notices: string[];
}

/** True when the sandbox does not show the host's `p` (masked, or under its private /tmp). */
function hiddenInSandbox(p: string): boolean {
  return [...MASKED_DIRS, '/tmp'].some((m) => isWithin(p, m));
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** The symlinked packages of a node_modules folder (scoped ones included), resolved. */
async function linkedPackages(nodeModules: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string, depth: number) => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      const st = await lstat(p).catch(() => undefined);
      if (st?.isSymbolicLink()) out.push(await realpath(p).catch(() => p));
      else if (st?.isDirectory() && name.startsWith('@') && depth === 0) await visit(p, 1);
    }
  };
  await visit(nodeModules, 0);
  return out;
}

/** Where `name` resolves on a PATH, keeping only directories `usable` accepts. */
async function onPath(
  name: string,
  pathVar: string,
  usable: (dir: string) => boolean,
): Promise<string | undefined> {
  for (const dir of pathVar.split(':')) {
    if (!dir || !path.isAbsolute(dir) || !usable(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** The paths around the machine folder a Node or Python machine needs (see the module comment). */
async function packagePaths(machineDir: string): Promise<string[]> {
  const paths: string[] = [];
  let packageRoot: string | undefined;
  for (let dir = machineDir; ; dir = path.dirname(dir)) {
    const nm = path.join(dir, 'node_modules');
    if (await exists(nm)) {
      paths.push(nm, await realpath(nm), ...(await linkedPackages(nm)));
    }
    if (!packageRoot && dir !== machineDir && (await exists(path.join(dir, 'package.json'))))
      packageRoot = dir;
    if (path.dirname(dir) === dir) break;
  }
  if (packageRoot) paths.push(packageRoot);
  return paths;
}

/** The interpreter's install: a venv root (with pyvenv.cfg), else the prefix above its `bin`. */
async function installOf(exe: string): Promise<string> {
  const bin = path.dirname(exe);
  const prefix = path.dirname(bin);
  if (await exists(path.join(prefix, 'pyvenv.cfg'))) return prefix;
  return path.basename(bin) === 'bin' ? prefix : bin;
}

/**
 * The read-only binds a sandboxed command needs, and notices: which interpreter the sandbox will
 * run when it differs from the host's. Other drivers need none.
 */
export async function sandboxNeeds(
  driver: Driver,
  machineDir: string,
  plan: { command: string[] },
  hostPath = process.env.PATH ?? '',
): Promise<Needs> {
  const needs: Needs = { binds: [], notices: [] };
  if (driver.name !== 'sandbox') return needs;
  const wanted = new Set<string>();
  for (const p of await packagePaths(machineDir))
    if (hiddenInSandbox(p) && !isWithin(p, machineDir)) wanted.add(p);
  const exe = plan.command[0];
  if (exe && !exe.includes('/')) {
    const host = await onPath(exe, hostPath, () => true);
    const real = host ? await realpath(host).catch(() => host) : undefined;
    if (host && real && hiddenInSandbox(host)) {
      // A real binary (nvm's node, a venv's python) is bound with its install; a shim (pyenv)
      // needs its whole manager and is not: the sandbox then runs the next one on PATH.
      const venv = await exists(path.join(path.dirname(path.dirname(host)), 'pyvenv.cfg'));
      const shim = !venv && real === host && (await isScript(host));
      if (!shim) {
        wanted.add(await installOf(host));
        if (venv) wanted.add(await installOf(real));
      } else {
        const inside = await onPath(exe, hostPath, (d) => !hiddenInSandbox(d));
        needs.notices.push(
          `${exe} on the host's PATH is ${host}, which the sandbox masks; the sandbox runs ${inside ?? 'nothing'} instead` +
            ' (bind what it needs with --ro-bind, or give --cmd an absolute path)',
        );
      }
    }
  }
  const sorted = [...wanted].sort();
  // A bind inside another is redundant.
  needs.binds = sorted
    .filter((p) => !sorted.some((q) => q !== p && isWithin(p, q)))
    .map((p) => ({ path: p, writable: false }));
  return needs;
}

/** True when a file starts with `#!` (a script, such as an interpreter manager's shim). */
async function isScript(file: string): Promise<boolean> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
  if (!fh) return false;
  try {
    const buf = Buffer.alloc(2);
    await fh.read(buf, 0, 2, 0);
    return buf.toString('latin1') === '#!';
  } finally {
    await fh.close();
  }
}
