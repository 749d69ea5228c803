import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { checkManifest } from '../../src/check/manifest.js';
import { isBerthError } from '../../src/errors.js';
import { sameJson } from '../../src/manifest/label-value.js';
import { emitLabels } from '../../src/manifest/labels-emit.js';
import { loadManifestFile, loadManifestText } from '../../src/manifest/load.js';
import { runCli } from '../support/cli.js';
import { fixture } from '../support/paths.js';

/**
 * Every manifest form the EnvoyAI reference pages (REF.md, TYPES.md, FAQ.md in
 * ../shared/reference/envoyai/) show, one fixture each under test/fixtures/reference/, named after
 * the page and the place it appears. Each fixture's header cites the lines it comes from and
 * states what berth says of it: nothing (clean), `# expect-warning: CODE property` lines, or
 * `# expect: refused CODE line N` for a form the reference writes that is not YAML at all.
 */
const dir = fixture('reference');
const files = readdirSync(dir).sort();

/** The places in the reference pages that show a manifest form; each must be cited by a fixture. */
const CITED = [
  'REF.md lines 8-72', // metadata-version, schema-in, schema-out, info LABELs
  'REF.md lines 41-61', // the info table
  'REF.md line 78', // nvidia
  'REF.md line 86', // network
  'REF.md line 93', // timeout
  'REF.md lines 99-101', // dicom-tags as written
  'REF.md lines 96-97', // dicom-tags as described
  'REF.md lines 124-140', // display
  'REF.md lines 113-121', // display groups in words (presentation)
  'REF.md lines 113-115', // empty display-elements
  'REF.md lines 153-160', // selector
  'REF.md line 149', // selector table: accept-reject
  'REF.md line 150', // selector table: choose-one
  'REF.md lines 168-181', // report
  'REF.md lines 186-191', // report table (boolean, string, number, array<object>)
  ...[8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22].map((n) => `TYPES.md line ${n} `),
  'TYPES.md lines 99-105', // nested objects
  'TYPES.md lines 116-123', // arrays
  'TYPES.md lines 127-137', // array of nested object
  'TYPES.md lines 140-145', // file directory
  ...[176, 177, 178, 179, 180, 181, 190, 191, 192].map((n) => `TYPES.md line ${n} `),
  'TYPES.md lines 200-204', // optional properties
  'FAQ.md lines 69-76', // CUDA
  'FAQ.md line 96', // network
  'FAQ.md lines 82-83', // YAML or JSON: JSON labels
  'FAQ.md lines 82-86', // YAML mixed with JSON
];

interface Expectation {
  warnings: string[];
  refused?: { code: string; line: number };
}

function expectationOf(text: string): Expectation {
  const warnings = [...text.matchAll(/^# expect-warning: (\S+ \S+)$/gm)].map((m) => m[1]!);
  const refused = /^# expect: refused (\S+) line (\d+)$/m.exec(text);
  return { warnings, ...(refused ? { refused: { code: refused[1]!, line: Number(refused[2]) } } : {}) };
}

/** The top-level property names of both sides, which a layout must show. */
function topNames(doc: Record<string, unknown>): string[] {
  return ['schema-in', 'schema-out'].flatMap((side) => Object.keys(doc[side] as object));
}

describe('the EnvoyAI reference corpus (test/fixtures/reference)', function () {
  this.timeout(60000);

  it('has a fixture citing every manifest form of REF.md, TYPES.md and FAQ.md', () => {
    const headers = files.map((f) => readFileSync(path.join(dir, f), 'utf8').split('\nmetadata-version')[0]);
    const all = headers.join('\n') + '\n';
    const missing = CITED.filter((place) => !all.includes(place));
    expect(missing).to.deep.equal([]);
    for (const [i, f] of files.entries()) {
      expect(f, 'named after its page').to.match(/^(ref|types|faq)-[a-z0-9-]+\.(dockerfile|yaml)$/);
      expect(headers[i], `${f} cites its place`).to.match(/^# (REF|TYPES|FAQ)\.md lines? \d/);
    }
  });

  for (const name of files) {
    const file = path.join(dir, name);
    const want = expectationOf(readFileSync(file, 'utf8'));
    if (want.refused) {
      const { code, line } = want.refused;
      it(`${name}: refused with ${code} at line ${line}, by berth check too (exit 2)`, async () => {
        const e = await loadManifestFile(file).then(
          () => undefined,
          (x: unknown) => x,
        );
        expect(isBerthError(e), String(e)).to.equal(true);
        expect(e).to.include({ code, line });
        const r = await runCli(['check', file]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.include(code).and.include(`line ${line}`);
      });
      continue;
    }
    it(`${name}: loads, checks clean${want.warnings.length ? ` (warns ${want.warnings.join(', ')})` : ''}, round-trips through berth labels and lays out`, async () => {
      const source = await loadManifestFile(file);
      const result = checkManifest(source);
      const errors = result.findings.filter((f) => f.severity === 'error');
      expect(errors, JSON.stringify(errors, null, 1)).to.deep.equal([]);
      const warnings = result.findings.filter((f) => f.severity === 'warning');
      expect(warnings.map((f) => `${f.code} ${f.property}`)).to.deep.equal(want.warnings);

      // In process: the LABELs emitted load back to the same document.
      const again = loadManifestText('FROM scratch\n' + emitLabels(source.document), 'Dockerfile');
      expect(sameJson(again.document, source.document)).to.equal(true);

      // As a user runs it: `berth labels` prints LABELs that load back equal and check clean.
      const [labels, layout] = await Promise.all([runCli(['labels', file]), runCli(['layout', file])]);
      expect(labels.code, labels.stderr).to.equal(0);
      const reloaded = loadManifestText('FROM scratch\n' + labels.stdout, 'Dockerfile');
      expect(reloaded.document).to.deep.equal(source.document);
      expect(checkManifest(reloaded).ok).to.equal(true);

      expect(layout.code, layout.stderr).to.equal(0);
      for (const n of topNames(source.document)) expect(layout.stdout).to.include(n);
    });
  }
});
