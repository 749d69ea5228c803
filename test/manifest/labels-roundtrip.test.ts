import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { checkManifest } from '../../src/check/manifest.js';
import { loadDockerfileLabels } from '../../src/manifest/dockerfile.js';
import { emitLabels } from '../../src/manifest/labels-emit.js';
import { loadManifestFile, loadManifestText } from '../../src/manifest/load.js';
import { ROOT, fixture } from '../support/paths.js';

/** Every valid manifest of the corpus, plus the sample machine. */
const valid = [
  ...readdirSync(fixture('manifests'))
    .filter((f) => f.startsWith('valid-'))
    .map((f) => fixture('manifests', f)),
  path.join(ROOT, 'sample-machine', 'machine.yaml'),
];

describe('berth labels round trip', () => {
  for (const file of valid) {
    it(`${path.basename(file)}: labels → Dockerfile and → inspect JSON load back equal`, async () => {
      const original = await loadManifestFile(file);
      expect(checkManifest(original).ok).to.equal(true);
      const dockerfile = 'FROM scratch\n' + emitLabels(original.document);
      const fromDockerfile = loadManifestText(dockerfile, 'Dockerfile');
      expect(fromDockerfile.document).to.deep.equal(original.document);
      // What `docker inspect` would print: the label values after Docker's own processing.
      const labels = Object.fromEntries(
        [...loadDockerfileLabels(dockerfile, 'Dockerfile').labels].map(([k, v]) => [k, v.value]),
      );
      const inspect = JSON.stringify([{ Id: 'sha256:0', Config: { Labels: labels } }], null, 4);
      const fromInspect = loadManifestText(inspect, 'inspect.json');
      expect(fromInspect.format).to.equal('inspect');
      expect(fromInspect.document).to.deep.equal(original.document);
    });
  }
});
