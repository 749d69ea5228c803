import { expect } from 'chai';
import type { LaunchSpec } from '../../../src/harness/drivers/driver.js';
import { placeLayout } from '../../../src/harness/drivers/layout.js';
import { readHostView } from '../../../src/harness/drivers/sandbox.js';

describe('harness/drivers/layout: where the sandbox can lay a Dockerfile build context', () => {
  const spec: LaunchSpec = {
    command: ['python3', 'cmd.py'],
    cwd: '/tmp/m',
    input: '/tmp/r/in',
    output: '/tmp/r/out',
    status: '/tmp/r/status',
    manifest: '/tmp/m/Dockerfile',
    env: {},
    network: false,
    nvidia: false,
  };

  it('keeps ADD . /prog (a new top-level directory) and its WORKDIR', async () => {
    const placed = await placeLayout({ ...spec, contextAt: '/prog', workdir: '/prog' }, await readHostView());
    expect(placed.spec.contextAt).to.equal('/prog');
    expect(placed.spec.workdir).to.equal('/prog');
    expect(placed.notices).to.deep.equal([]);
  });

  it('falls back to the machine folder, with a notice, for a destination missing inside a read-only host directory', async () => {
    const placed = await placeLayout(
      { ...spec, contextAt: '/usr/src/berth-no-such-app', workdir: '/usr/src/berth-no-such-app' },
      await readHostView(),
    );
    expect(placed.spec.contextAt).to.equal(undefined);
    expect(placed.spec.workdir).to.equal(undefined);
    expect(placed.notices.join('\n')).to.include(
      'cannot lay the machine folder at /usr/src/berth-no-such-app',
    );
  });
});
