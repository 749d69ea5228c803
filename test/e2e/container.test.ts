/**
 * The container end-to-end test (`scripts/container-e2e.sh`: base image, sample machine image,
 * every sample case in podman, `berth listen` in the base image with rootful and rootless podman)
 * as one mocha test. It needs root, Debian's buildah, podman, runc, debootstrap, slirp4netns and
 * uidmap (the script installs them), the npm registry and a Debian mirror, and a few minutes, so it runs only when BERTH_CONTAINER_E2E=1. The script is the test; this wrapper runs
 * it and reads its last line, "N passed, N failed".
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../support/paths.js';

const SCRIPT = path.join(ROOT, 'scripts', 'container-e2e.sh');

/** The script's own summary line: `N passed, N failed`. */
function parseSummary(output: string): { passed: number; failed: number } | undefined {
  const lines = output.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(\d+) passed, (\d+) failed$/.exec(lines[i]!.trim());
    if (m) return { passed: Number(m[1]), failed: Number(m[2]) };
  }
  return undefined;
}

describe('e2e: container images (scripts/container-e2e.sh)', function () {
  // The script itself finishes in under five minutes; a cold Debian mirror can be slower.
  this.timeout(15 * 60_000);

  it('reads the script’s summary line', () => {
    expect(parseSummary('…\nok    x\n3 passed, 1 failed\n')).to.deep.equal({ passed: 3, failed: 1 });
    expect(parseSummary('no summary')).to.equal(undefined);
  });

  it('builds the base and sample images and runs every sample case in a container', async function () {
    if (process.env['BERTH_CONTAINER_E2E'] !== '1') {
      // Mocha shows a skipped test as pending; its title says how to run it.
      this.test!.title +=
        ' (pending: run with BERTH_CONTAINER_E2E=1 as root, or run scripts/container-e2e.sh directly)';
      this.skip();
    }
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('bash', [SCRIPT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const take = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        // The script prints its steps; show them as they come, the run is long.
        if (process.env['BERTH_E2E_VERBOSE'] === '1') process.stderr.write(chunk);
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.once('error', reject);
      child.once('close', (c) => resolve({ code: c, output }));
    });
    const summary = parseSummary(output);
    const failures = output.split('\n').filter((l) => l.startsWith('FAIL'));
    expect(summary, `no "N passed, N failed" line; the script printed:\n${output.slice(-4000)}`).to.not.equal(
      undefined,
    );
    expect(failures, output.slice(-6000)).to.deep.equal([]);
    expect(summary!.failed).to.equal(0);
    expect(summary!.passed).to.be.greaterThan(0);
    expect(code).to.equal(0);
  });
});
