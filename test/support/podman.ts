import { spawnSync } from 'node:child_process';
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
