/**
 * The gate for tests that need a peer tool (Python numpy, dcmtk, pydicom, ...).
 *
 * When the peer is missing the test is marked pending with a message naming the Debian
 * packages to install — unless `BERTH_REQUIRE_PEERS=1`, in which case it fails with that
 * message, so CI cannot silently skip interop.
 */
import type { Context } from 'mocha';

/** A peer tool: how to detect it and which Debian packages provide it. */
export interface Peer {
  /** What is needed, in words (`numpy + msgpack-numpy in /usr/bin/python3`). */
  name: string;
  /** The Debian packages that provide it. */
  packages: string[];
  /** Resolves true when the peer is usable. Called once per process. */
  probe: () => Promise<boolean> | boolean;
}

const probes = new Map<string, Promise<boolean>>();

/** True when peers must be present (`BERTH_REQUIRE_PEERS=1`). */
export function peersRequired(): boolean {
  return process.env.BERTH_REQUIRE_PEERS === '1';
}

/** Whether a peer is available (probed once, then cached). */
export function hasPeer(peer: Peer): Promise<boolean> {
  let p = probes.get(peer.name);
  if (p === undefined) {
    p = Promise.resolve()
      .then(() => peer.probe())
      .catch(() => false);
    probes.set(peer.name, p);
  }
  return p;
}

/** The message shown when a peer is missing. */
export function missingPeerMessage(peer: Peer): string {
  return `peer missing: ${peer.name} (install the Debian packages: apt-get install -y ${peer.packages.join(' ')})`;
}

/**
 * Call at the start of a test or `before` hook (`await requirePeer(this, PEER)`): returns when
 * the peer is there; otherwise skips (pending) or, with `BERTH_REQUIRE_PEERS=1`, fails.
 */
export async function requirePeer(ctx: Context, peer: Peer): Promise<void> {
  if (await hasPeer(peer)) return;
  const message = missingPeerMessage(peer);
  if (peersRequired()) throw new Error(`${message}; BERTH_REQUIRE_PEERS=1 forbids skipping`);
  console.log(`      (pending: ${message})`);
  ctx.skip();
}
