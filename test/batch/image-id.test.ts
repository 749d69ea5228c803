import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { imageIdOf } from '../../src/batch/image-id.js';
import { codeOfAsync } from '../support/codes.js';
import { requirePeer } from '../support/peers.js';
import { PODMAN, privatePodman, type PrivatePodman } from '../support/podman.js';
import { removeDir, tempDir } from '../support/temp.js';

describe('batch/image-id (podman, a private store)', function () {
  this.timeout(120_000);
  let store: PrivatePodman | undefined;
  let dir: string | undefined;

  /** Builds a two-line image FROM scratch (no base, no network: half a second). */
  async function build(tag: string, label: string): Promise<void> {
    const ctx = path.join(dir!, tag.replace(/[/:]/g, '_'));
    await mkdir(ctx);
    await writeFile(path.join(ctx, 'Dockerfile'), `FROM scratch\nLABEL berth.test=${label}\n`);
    const r = await store!.podman(['build', '-q', '-t', tag, ctx]);
    expect(r.code, r.out).to.equal(0);
  }

  before(async function () {
    await requirePeer(this, PODMAN);
    store = await privatePodman();
    dir = await tempDir('image-id');
    await build('localhost/berth-id-a:1', 'a');
    await build('localhost/berth-id-b:1', 'b');
    const tagged = await store.podman(['tag', 'localhost/berth-id-a:1', 'registry.example/other-name:7']);
    expect(tagged.code, tagged.out).to.equal(0);
  });

  after(async () => {
    await store?.remove();
    await removeDir(dir);
  });

  it('gives the same sha256 ID for two names of one image, and another for another image', async () => {
    const a = await imageIdOf('localhost/berth-id-a:1', 'podman', store!.env);
    expect(a).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(await imageIdOf('registry.example/other-name:7', 'podman', store!.env)).to.equal(a);
    expect(await imageIdOf('localhost/berth-id-b:1', 'podman', store!.env)).to.not.equal(a);
  });

  it('follows a re-tag: the name of a rebuilt image gets the new ID', async () => {
    const before = await imageIdOf('localhost/berth-id-a:1', 'podman', store!.env);
    const r = await store!.podman(['tag', 'localhost/berth-id-b:1', 'localhost/berth-id-a:1']);
    expect(r.code, r.out).to.equal(0);
    const after = await imageIdOf('localhost/berth-id-a:1', 'podman', store!.env);
    expect(after).to.not.equal(before);
    expect(after).to.equal(await imageIdOf('localhost/berth-id-b:1', 'podman', store!.env));
  });

  it('refuses an image the engine lacks with BERTH_E_IMAGE_NOT_FOUND', async () => {
    expect(await codeOfAsync(imageIdOf('localhost/berth-id-none:1', 'podman', store!.env))).to.equal(
      'BERTH_E_IMAGE_NOT_FOUND',
    );
  });
});

describe('batch/image-id (no engine needed)', () => {
  it('takes a full image ID as its own identity without asking an engine', async () => {
    const id = `sha256:${'ab'.repeat(32)}`;
    expect(await imageIdOf(id, 'podman', { PATH: '/nonexistent' })).to.equal(id);
  });

  it('refuses an unknown engine with BERTH_E_USAGE', async () => {
    expect(await codeOfAsync(imageIdOf('x:1', 'kaniko'))).to.equal('BERTH_E_USAGE');
  });

  it('says BERTH_E_DRIVER_UNAVAILABLE when no engine can be started', async () => {
    expect(await codeOfAsync(imageIdOf('x:1', undefined, { PATH: '/nonexistent' }))).to.equal(
      'BERTH_E_DRIVER_UNAVAILABLE',
    );
  });
});
