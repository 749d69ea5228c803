/**
 * Synthetic trees: valid for the sample machine and every valid fixture manifest (both sides),
 * deterministic per seed, and honest about what they cannot make.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkManifest, loadMachine, type MachineDefinition } from '../../src/check/manifest.js';
import { isBerthError } from '../../src/errors.js';
import { scanHeaderSync } from '../../src/dicom/scan.js';
import { fromPattern, synthNumber, synthString, synthTree, words } from '../../src/harness/synth-tree.js';
import { prng } from '../../src/dicom/synth.js';
import type { Property } from '../../src/kinds/property.js';
import { loadManifestText } from '../../src/manifest/load.js';
import { removeDir, tempDir } from '../support/temp.js';
import { fixture, ROOT } from '../support/paths.js';

const VALID = (await readdir(fixture('manifests')))
  .filter((f) => f.startsWith('valid-'))
  .map((f) => fixture('manifests', f));
const MANIFESTS = [join(ROOT, 'sample-machine', 'machine.yaml'), ...VALID];

async function treeHash(dir: string, files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(await readFile(join(dir, f)));
  return h.digest('hex');
}

function prop(keywords: Property['keywords'], kind: Property['kind'] = 'string'): Property {
  return { name: 'x', path: 'schema-in/x', side: 'in', kind, nullable: false, keywords, raw: {}, spec: null };
}

async function definitionOf(yaml: string): Promise<MachineDefinition> {
  const result = checkManifest(loadManifestText(yaml, 'inline.yaml'));
  expect(result.findings.filter((f) => f.severity === 'error')).to.deep.equal([]);
  return result.definition;
}

describe('harness/synth-tree: synthetic trees that satisfy a schema', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('synth');
  });
  after(() => removeDir(dir));

  for (const manifest of MANIFESTS) {
    for (const side of ['in', 'out'] as const) {
      it(`${manifest.slice(ROOT.length + 1)} (schema-${side}): checkTree accepts the tree`, async function () {
        this.timeout(60_000);
        const definition = await loadMachine(manifest);
        const out = join(dir, `${manifest.replace(/\W/g, '_')}-${side}`);
        const result = await synthTree(definition, side, out, { seed: 7 });
        expect(result.findings, JSON.stringify(result.findings, null, 2)).to.deep.equal([]);
        const props = side === 'in' ? definition.inputs : definition.outputs;
        expect((await readdir(out).catch(() => [])).sort()).to.deep.equal(props.map((p) => p.name).sort());
      });
    }
  }

  it('is deterministic: the same seed gives the same bytes, another seed other values', async () => {
    const definition = await loadMachine(join(ROOT, 'sample-machine', 'machine.yaml'));
    const a = await synthTree(definition, 'out', join(dir, 'det-a'), { seed: 42 });
    const b = await synthTree(definition, 'out', join(dir, 'det-b'), { seed: 42 });
    const c = await synthTree(definition, 'out', join(dir, 'det-c'), { seed: 43 });
    expect(a.files).to.deep.equal(b.files);
    expect(await treeHash(a.dir, a.files)).to.equal(await treeHash(b.dir, b.files));
    expect(await treeHash(c.dir, c.files)).to.not.equal(await treeHash(a.dir, a.files));
    const ins = [
      await synthTree(definition, 'in', join(dir, 'det-in-a'), { seed: 42 }),
      await synthTree(definition, 'in', join(dir, 'det-in-b'), { seed: 42 }),
    ];
    expect(await treeHash(ins[0]!.dir, ins[0]!.files)).to.equal(await treeHash(ins[1]!.dir, ins[1]!.files));
  });

  it('writes DICOM honouring modality, SOP class, counts, transfer syntax and descriptions', async () => {
    const definition = await loadMachine(fixture('manifests', 'valid-dicom-constraints.yaml'));
    const out = join(dir, 'dicom');
    const result = await synthTree(definition, 'in', out);
    expect(result.findings).to.deep.equal([]);
    const image = scanHeaderSync(join(out, 'image'));
    expect(image.Modality).to.equal('CR');
    expect(image.SOPClassUID).to.equal('1.2.840.10008.5.1.4.1.1.1');
    expect(image.TransferSyntaxUID).to.equal('1.2.840.10008.1.2');
    expect(image.SeriesDescription).to.equal('hand AP');
    expect(image.StudyDescription).to.equal('upper extremities');
    const series = await readdir(join(out, 'series'));
    expect(series).to.have.length(1);
    const study = await readdir(join(out, 'study'));
    const counts = await Promise.all(study.map(async (s) => (await readdir(join(out, 'study', s))).length));
    expect(counts.sort((x, y) => x - y)).to.deep.equal([1, 120]);
    const descriptions = new Set<string | undefined>();
    for (const s of study) {
      const [first] = await readdir(join(out, 'study', s));
      descriptions.add(scanHeaderSync(join(out, 'study', s, first!)).SeriesDescription);
    }
    expect([...descriptions].sort()).to.deep.equal(['axial', 'scout']);
  });

  it('writes every nullable property unless asked to omit them', async () => {
    const definition = await loadMachine(join(ROOT, 'sample-machine', 'machine.yaml'));
    const all = await synthTree(definition, 'in', join(dir, 'nullable-all'));
    const omitted = await synthTree(definition, 'in', join(dir, 'nullable-omitted'), { omitNullable: true });
    expect(all.files).to.include('patient-age');
    expect(omitted.files).to.not.include('patient-age');
    expect(omitted.findings).to.deep.equal([]);
  });

  it('refuses what it cannot make: compressed-only DICOM, media types it only recognises', async () => {
    const cases = [
      `metadata-version: 2\ninfo: {name: x}\nschema-in:\n  s:\n    dicom-type: dicom-series\n    transfer-syntax-uid: ['1.2.840.10008.1.2.4.50']\nschema-out: {o: {type: boolean}}\n`,
      `metadata-version: 2\ninfo: {name: x}\nschema-in:\n  clip.mp4:\n    mime-type: video/mp4\nschema-out: {o: {type: boolean}}\n`,
    ];
    for (const [i, yaml] of cases.entries()) {
      const definition = await definitionOf(yaml);
      const err = await synthTree(definition, 'in', join(dir, `refuse-${i}`)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isBerthError(err) && err.code, String(err)).to.equal('BERTH_E_SYNTH_UNSUPPORTED');
    }
  });

  it('generates strings for patterns, lengths and formats', () => {
    const rand = prng('strings');
    const patterns = [
      '^[A-Z]{3}-[0-9]{4}$',
      '^(left|right)$',
      '^\\d{2,4}\\.\\d$',
      '^[a-f0-9]{8}(-[a-f0-9]{4}){3}$',
      '^(?:foo|bar)+baz?$',
      'abc',
      '^[^0-9]{5}$',
      '^\\w+@example\\.org$',
    ];
    for (const pattern of patterns) {
      for (let i = 0; i < 20; i++) {
        expect(fromPattern(pattern, rand)).to.match(new RegExp(pattern, 'u'));
        const s = synthString(prop({ pattern, maxLength: 64 }), rand);
        expect(s).to.match(new RegExp(pattern, 'u'));
      }
    }
    expect(synthString(prop({ minLength: 40, maxLength: 40 }), rand)).to.have.length(40);
    expect(synthString(prop({ maxLength: 1 }), rand).length).to.be.at.most(1);
    expect(synthString(prop({ minLength: 0, maxLength: 0 }), rand)).to.equal('');
    expect(synthString(prop({ format: 'email' }), rand)).to.match(/@example\.com$/);
    expect(synthString(prop({ format: 'uuid' }), rand)).to.match(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(synthString(prop({ pattern: '^[0-9]+$', minLength: 10 }), rand)).to.match(/^[0-9]{10,}$/);
    expect(() => synthString(prop({ pattern: '^(?=a)b$' }), rand)).to.throw(/BERTH|satisfies|No string/);
  });

  it('generates numbers within bounds and multiples', () => {
    const rand = prng('numbers');
    for (let i = 0; i < 50; i++) {
      const a = synthNumber(
        prop({ minimum: -5, maximum: 5 }, 'integer'),
        { minimum: -5, maximum: 5 },
        rand,
        true,
        [0, 100],
      );
      expect(a).to.be.within(-5, 5);
      expect(Number.isInteger(a)).to.equal(true);
      const k = { exclusiveMinimum: 0, exclusiveMaximum: 1, multipleOf: 0.25 };
      const b = synthNumber(prop(k, 'number'), k, rand, false, [0, 100]);
      expect([0.25, 0.5, 0.75]).to.include(b);
      const m = { minimum: 1000, multipleOf: 7 };
      const c = synthNumber(prop(m, 'integer'), m, rand, true, [0, 100]);
      expect(c % 7).to.equal(0);
      expect(c).to.be.at.least(1000);
      const n = { maximum: -3.5 };
      expect(synthNumber(prop(n, 'number'), n, rand, false, [0, 100])).to.be.at.most(-3.5);
    }
    const impossible = { minimum: 1, maximum: 2, multipleOf: 5 };
    expect(() => synthNumber(prop(impossible, 'integer'), impossible, rand, true, [0, 100])).to.throw();
  });

  it('writes strings without pattern or format as whole words, at any length range', () => {
    const rand = prng('whole-words');
    const vocabulary = new Set(
      'a an of to in ct mr the and new left lung scan case note right value berth image chest sample report series normal finding lesion nodule patient marginal synthetic radiology calibrated measurement observations'.split(
        ' ',
      ),
    );
    for (const [min, max] of [
      [0, 24],
      [1, 1],
      [2, 2],
      [5, 6],
      [11, 11],
      [40, 40],
      [3, 200],
    ] as const) {
      for (let i = 0; i < 40; i++) {
        const s = synthString(prop({ minLength: min, maxLength: max }), rand);
        expect(s.length, s).to.be.within(min, max);
        for (const w of s.split(' ')) expect(vocabulary.has(w), `${JSON.stringify(s)}: ${w}`).to.equal(true);
        expect(words(rand, min, max).length).to.be.within(min, max);
      }
    }
  });

  it('writes percentages through their text rule: multipleOf 0.1 never gives binary noise', async () => {
    const definition = await definitionOf(
      `metadata-version: 2\ninfo: {name: x}\nschema-in:\n  p: {type: percentage, minimum: 0, maximum: 100, multipleOf: 0.1}\n  q: {type: percentage, multipleOf: 0.01, minimum: 50, maximum: 51}\nschema-out: {o: {type: boolean}}\n`,
    );
    for (let seed = 0; seed < 60; seed++) {
      const out = join(dir, `pct-${seed}`);
      const result = await synthTree(definition, 'in', out, { seed });
      expect(result.findings).to.deep.equal([]);
      expect(await readFile(join(out, 'p'), 'utf8')).to.match(/^\d{1,3}(\.\d)?%$/);
      expect(await readFile(join(out, 'q'), 'utf8')).to.match(/^5[01](\.\d{1,2})?%$/);
    }
  });

  describe('pins (--set name=value)', () => {
    const yaml = `metadata-version: 2
info: {name: pins}
schema-in:
  threshold: {type: number, minimum: 0, maximum: 1}
  confidence: {type: percentage}
  flag: {type: boolean, nullable: true}
  findings:
    type: array
    maxItems: 4
    items:
      type: object
      properties:
        label: {type: string}
        size: {type: integer}
  scan: {dicom-type: dicom-series, series-related-instances: 1}
schema-out: {o: {type: boolean}}
`;

    it("writes pinned values, read by each kind's text rule, and keeps the rest synthetic", async () => {
      const definition = await definitionOf(yaml);
      const out = join(dir, 'pins');
      const result = await synthTree(definition, 'in', out, {
        omitNullable: true,
        set: ['threshold=0.5', 'confidence=85.5%', 'flag=True', 'findings/3/label=nodule here'],
      });
      expect(result.findings).to.deep.equal([]);
      expect(await readFile(join(out, 'threshold'), 'utf8')).to.equal('0.5');
      expect(await readFile(join(out, 'confidence'), 'utf8')).to.equal('85.5%');
      expect(await readFile(join(out, 'flag'), 'utf8')).to.equal('True');
      expect(await readFile(join(out, 'findings', '3', 'label'), 'utf8')).to.equal('nodule here');
      expect(await readdir(join(out, 'findings'))).to.have.members(['0', '1', '2', '3']);
    });

    it('refuses a name the schema lacks, a bad value, an index past maxItems and a kind without text', async () => {
      const definition = await definitionOf(yaml);
      const attempt = async (set: string): Promise<string | undefined> => {
        const err = await synthTree(definition, 'in', join(dir, 'pins-refused'), { set: [set] }).then(
          () => undefined,
          (e: unknown) => e,
        );
        return isBerthError(err) ? `${err.code} ${err.message}` : String(err);
      };
      expect(await attempt('nothing=1')).to.match(/^BERTH_E_USAGE .*no property "nothing"/);
      expect(await attempt('threshold')).to.match(/^BERTH_E_USAGE .*not name=value/);
      expect(await attempt('threshold=2')).to.match(/^BERTH_E_VALUE_\w+ --set threshold:/);
      expect(await attempt('confidence=0.85')).to.match(/^BERTH_E_VALUE_TEXT .*no % sign/);
      expect(await attempt('findings/4/label=x')).to.match(/^BERTH_E_USAGE .*item index/);
      expect(await attempt('findings/0/colour=x')).to.match(
        /^BERTH_E_USAGE .*no property "colour" in findings\/0/,
      );
      expect(await attempt('scan=x')).to.match(/^BERTH_E_USAGE .*no text form/);
      expect(await attempt('findings=x')).to.match(/^BERTH_E_USAGE .*no text form/);
    });
  });
});
