/** The peer of tests that run machines under the sandbox driver. */
import { sandboxDriver } from '../../src/harness/drivers/sandbox.js';
import type { Peer } from './peers.js';

/** bubblewrap, able to make the namespaces the sandbox driver asks for. */
export const BWRAP_PEER: Peer = {
  name: 'bubblewrap able to create user, PID and network namespaces',
  packages: ['bubblewrap'],
  probe: async () => (await sandboxDriver.unavailable({})) === undefined,
};
