/**
 * The sample machine's Dockerfile carries its EnvoyAI LABELs as a generated block, so a plain
 * `docker build` of it makes a complete machine image. This keeps that block equal to what
 * `berth labels machine.yaml` prints today.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { loadMachine } from '../../src/check/manifest.js';
import { manifestFromDockerfile } from '../../src/manifest/dockerfile.js';
import { sameJson } from '../../src/manifest/label-value.js';
import { emitLabels } from '../../src/manifest/labels-emit.js';
import { ROOT } from '../support/paths.js';

const DIR = path.join(ROOT, 'sample-machine');
const BEGIN = '# >>> berth labels';
const END = '# <<< berth labels';

/** The LABEL lines between the markers (the markers' own comment lines left out). */
function generatedBlock(dockerfile: string): string {
  const lines = dockerfile.split('\n');
  const begin = lines.findIndex((l) => l.startsWith(BEGIN));
  const end = lines.findIndex((l) => l.startsWith(END));
  if (begin < 0 || end < begin) throw new Error(`no "${BEGIN}" … "${END}" block`);
  return (
    lines
      .slice(begin + 1, end)
      .filter((l) => !l.startsWith('#'))
      .join('\n') + '\n'
  );
}

describe('sample-machine/Dockerfile', () => {
  it('holds exactly the LABELs `berth labels machine.yaml` prints', async () => {
    const dockerfile = await readFile(path.join(DIR, 'Dockerfile'), 'utf8');
    const def = await loadMachine(path.join(DIR, 'machine.yaml'));
    const expected = emitLabels(def.source.document);
    expect(
      generatedBlock(dockerfile),
      'the LABEL block is stale: replace the lines between the markers in sample-machine/Dockerfile ' +
        'with the output of `npx berth labels sample-machine/machine.yaml`',
    ).to.equal(expected);
  });

  it('loads back, from its LABELs alone, as the manifest', async () => {
    const file = path.join(DIR, 'Dockerfile');
    const fromLabels = manifestFromDockerfile(await readFile(file, 'utf8'), file);
    const def = await loadMachine(path.join(DIR, 'machine.yaml'));
    expect(sameJson(fromLabels.document, def.source.document)).to.equal(true);
  });

  it('builds FROM the base image and copies the manifest where berth exec reads it', async () => {
    const dockerfile = await readFile(path.join(DIR, 'Dockerfile'), 'utf8');
    expect(dockerfile).to.match(/^ARG BERTH_IMAGE=berth:latest\nFROM \$\{BERTH_IMAGE\}$/m);
    expect(dockerfile).to.match(/^COPY machine\.yaml \/envoyai\/machine\.yaml$/m);
    expect(dockerfile).to.match(/^CMD \["node", "dist\/main\.js"\]$/m);
  });
});
