import { expect } from 'chai';
import type { Context } from 'mocha';
import { hasPeer, requirePeer } from './peers.js';
import type { Peer } from './peers.js';

const missing: Peer = {
  name: 'a tool that is not there',
  packages: ['pkg-one', 'pkg-two'],
  probe: () => false,
};
const present: Peer = { name: 'a tool that is there', packages: ['pkg'], probe: async () => true };

function fakeContext(): { ctx: Context; skipped: () => boolean } {
  let skipped = false;
  const ctx = {
    skip(): never {
      skipped = true;
      throw new Error('skipped');
    },
  } as unknown as Context;
  return { ctx, skipped: () => skipped };
}

describe('support/peers', () => {
  const saved = process.env.BERTH_REQUIRE_PEERS;
  afterEach(() => {
    if (saved === undefined) delete process.env.BERTH_REQUIRE_PEERS;
    else process.env.BERTH_REQUIRE_PEERS = saved;
  });

  it('passes when the peer is there', async () => {
    const f = fakeContext();
    await requirePeer(f.ctx, present);
    expect(f.skipped()).to.equal(false);
    expect(await hasPeer(present)).to.equal(true);
  });

  it('skips, naming the packages, when a peer is missing', async () => {
    delete process.env.BERTH_REQUIRE_PEERS;
    const f = fakeContext();
    await requirePeer(f.ctx, missing).catch(() => undefined);
    expect(f.skipped()).to.equal(true);
  });

  it('fails, naming the packages, when BERTH_REQUIRE_PEERS=1', async () => {
    process.env.BERTH_REQUIRE_PEERS = '1';
    const f = fakeContext();
    const e = await requirePeer(f.ctx, missing).catch((x: unknown) => x);
    expect(f.skipped()).to.equal(false);
    expect((e as Error).message)
      .to.match(/pkg-one pkg-two/)
      .and.match(/BERTH_REQUIRE_PEERS/);
  });
});
