import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { isBerthError, type Code } from '../../src/errors.js';
import { loadDockerfileLabels, manifestFromDockerfile } from '../../src/manifest/dockerfile.js';
import { labelsFromInspect, manifestFromInspect } from '../../src/manifest/inspect.js';
import { fixture } from '../support/paths.js';
import { codeOf } from '../support/codes.js';

const LABELS = {
  'com.envoyai.metadata-version': '2',
  'com.envoyai.info': 'name: x\\ntitle: \\"quoted\\" \\\\d',
  'com.envoyai.schema-in': '{"a": {"type": "string"}}',
  'org.opencontainers.image.title': 'ignored',
};
const DOCUMENT = {
  'metadata-version': 2,
  info: { name: 'x', title: '\\"quoted\\" \\d' },
  'schema-in': { a: { type: 'string' } },
};

describe('manifestFromInspect', () => {
  it('reads docker inspect IMAGE (an array of one object, Config.Labels)', () => {
    const text = JSON.stringify(
      [{ Id: 'sha256:1', RepoTags: ['m:1'], Config: { Env: [], Labels: LABELS } }],
      null,
      4,
    );
    const m = manifestFromInspect(text, 'inspect.json');
    expect(m.format).to.equal('inspect');
    expect(m.path).to.equal('inspect.json');
    expect(m.document).to.deep.equal(DOCUMENT);
    expect(m.lineOf(['info'])).to.equal(undefined);
  });
  it('reads podman image inspect (top-level Labels), a bare object, and a bare labels object', () => {
    expect(manifestFromInspect(JSON.stringify([{ Id: 'x', Labels: LABELS }]), 'p').document).to.deep.equal(
      DOCUMENT,
    );
    expect(manifestFromInspect(JSON.stringify({ Config: { Labels: LABELS } }), 'p').document).to.deep.equal(
      DOCUMENT,
    );
    expect(manifestFromInspect(JSON.stringify(LABELS), 'p').document).to.deep.equal(DOCUMENT);
  });
  it('prefers Config.Labels when podman prints both', () => {
    const text = JSON.stringify([
      { Labels: { 'com.envoyai.timeout': '1' }, Config: { Labels: { 'com.envoyai.timeout': '2' } } },
    ]);
    expect(manifestFromInspect(text, 'p').document).to.deep.equal({ timeout: 2 });
  });
  it('takes label values with real newlines as plain YAML (set with --label, not a Dockerfile)', () => {
    const text = JSON.stringify([
      { Config: { Labels: { 'com.envoyai.info': 'name: x\ntitle: "a\\nb"\n' } } },
    ]);
    expect(manifestFromInspect(text, 'p').document).to.deep.equal({ info: { name: 'x', title: 'a\nb' } });
  });
  it('reads what Docker stores for the reference Dockerfile like the Dockerfile itself', () => {
    const dockerfile = readFileSync(fixture('dockerfiles', 'envoyai-reference.Dockerfile'), 'utf8');
    const labels = Object.fromEntries(
      [...loadDockerfileLabels(dockerfile, 'D').labels].map(([k, v]) => [k, v.value]),
    );
    expect(labels['com.envoyai.schema-in']).to.equal(
      'dicom-study-in:\\n  dicom-type: dicom-study\\n  title: Chest CT',
    );
    const inspect = JSON.stringify([{ Config: { Labels: labels } }]);
    expect(manifestFromInspect(inspect, 'p').document).to.deep.equal(
      manifestFromDockerfile(dockerfile, 'D').document,
    );
  });
  it('refuses wrong shapes with BERTH_E_INSPECT_SHAPE and bad JSON with BERTH_E_JSON_SYNTAX', () => {
    const cases: Array<[string, Code]> = [
      ['[{"Config": {"Labels": {}}', 'BERTH_E_JSON_SYNTAX'],
      ['', 'BERTH_E_JSON_SYNTAX'],
      ['[]', 'BERTH_E_INSPECT_SHAPE'],
      ['[{}, {}]', 'BERTH_E_INSPECT_SHAPE'],
      ['"text"', 'BERTH_E_INSPECT_SHAPE'],
      ['{"Id": "x"}', 'BERTH_E_INSPECT_SHAPE'],
      ['[{"Config": {"Labels": []}}]', 'BERTH_E_INSPECT_SHAPE'],
      ['[{"Config": {"Labels": {"com.envoyai.timeout": 5}}}]', 'BERTH_E_INSPECT_SHAPE'],
      ['[{"Config": {"Labels": null}}]', 'BERTH_E_NO_LABELS'],
      ['[{"Config": {"Labels": {"maintainer": "me"}}}]', 'BERTH_E_NO_LABELS'],
      ['[{"Config": {"Labels": {"com.envoyai.info": "a: [\\\\n"}}}]', 'BERTH_E_LABEL_VALUE'],
    ];
    for (const [text, code] of cases)
      expect(
        codeOf(() => manifestFromInspect(text, 'p')),
        text,
      ).to.equal(code);
  });
  it('gives the path of a JSON syntax error, and its line where V8 tells the position', () => {
    try {
      labelsFromInspect('[\n  {\n    "Config": ,\n  }\n]', 'inspect.json');
      expect.fail('no error');
    } catch (e) {
      expect(isBerthError(e) && [e.code, e.path]).to.deep.equal(['BERTH_E_JSON_SYNTAX', 'inspect.json']);
    }
    try {
      labelsFromInspect('{"Config": {}}\n\n]', 'inspect.json');
      expect.fail('no error');
    } catch (e) {
      expect(isBerthError(e) && e.line).to.equal(3);
    }
  });
});
