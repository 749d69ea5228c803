import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { engineEnv } from '../../src/harness/drivers/container.js';
import type { Peer } from './peers.js';

/** podman able to list the images of berth's private store (what the container driver uses). */
export const PODMAN: Peer = {
  name: 'podman able to list images',
  packages: ['podman', 'runc'],
  probe: async () =>
    spawnSync('podman', ['images', '-q'], { env: (await engineEnv('podman')).env, timeout: 60_000 })
      .status === 0,
};

/** A podman image store of a test's own (its env points podman at it), removed whole afterwards. */
export interface PrivatePodman {
  env: NodeJS.ProcessEnv;
  /** Runs podman in the store (at most 60 s); its exit code and output. */
  podman(args: string[]): Promise<{ code: number | null; out: string }>;
  /** Removes the images, unmounts what podman left mounted, removes the folder. */
  remove(): Promise<void>;
}

/** Creates a private podman store under a fresh temporary folder. */
export async function privatePodman(): Promise<PrivatePodman> {
  const state = await mkdtemp(path.join(tmpdir(), 'berth-podman-'));
  const base = { ...process.env };
  delete base.CONTAINERS_STORAGE_CONF;
  delete base.CONTAINERS_CONF;
  const env = (await engineEnv('podman', state, base)).env;
  const podman = (args: string[]): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve) => {
      const c = spawn('podman', args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      let out = '';
      c.stdout.on('data', (b: Buffer) => (out += b.toString()));
      c.stderr.on('data', (b: Buffer) => (out += b.toString()));
      c.once('error', () => resolve({ code: null, out }));
      c.once('close', (code) => resolve({ code, out }));
    });
  return {
    env,
    podman,
    async remove() {
      await podman(['rmi', '-af']);
      // Nothing may stay mounted under the store before it is removed.
      const mounts = (await readFile('/proc/mounts', 'utf8'))
        .split('\n')
        .map((l) => l.split(' ')[1] ?? '')
        .filter((m) => m.startsWith(state))
        .sort()
        .reverse();
      for (const m of mounts) await new Promise((r) => spawn('umount', ['-l', m]).once('close', r));
      await rm(state, { recursive: true, force: true });
    },
  };
}
