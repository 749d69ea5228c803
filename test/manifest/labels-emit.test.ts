import { expect } from 'chai';
import fc from 'fast-check';
import { isBerthError } from '../../src/errors.js';
import { LABEL_KEYS, type JsonObject, type JsonValue } from '../../src/manifest/document.js';
import { loadDockerfileLabels, manifestFromDockerfile } from '../../src/manifest/dockerfile.js';
import { manifestFromInspect } from '../../src/manifest/inspect.js';
import { emitLabel, emitLabels } from '../../src/manifest/labels-emit.js';

/** Strings that have broken label writers: escapes, quotes, variables, YAML look-alikes, comments. */
const NASTY = [
  '',
  ' ',
  '\\',
  '\\\\',
  '\\n',
  '\\\\n',
  'a\\',
  '"',
  "'",
  '`',
  '`\\`',
  '$',
  '$HOME',
  '${X:-y}',
  '\\$',
  '$1',
  '#',
  '# not a comment',
  '\n# also not\n',
  '\n',
  '\n\n',
  'a\nb',
  'a\r\nb',
  '\r',
  '\t',
  ' lead',
  'trail ',
  'True',
  'False',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'null',
  '~',
  '012',
  '0o17',
  '0x1F',
  '1e3',
  '1_000',
  '1:20',
  '.inf',
  '.nan',
  '2',
  '-1',
  '2024-01-01',
  '- x',
  '-',
  '[a',
  '{b',
  ': x',
  'a: b',
  'a #b',
  '&a',
  '*a',
  '!tag',
  '%YAML',
  '@',
  '|',
  '>',
  '?',
  '---',
  '...',
  '<<',
  'report.pdf',
  'é',
  '中文',
  '🎉',
  '\u00a0#',
  '\u0085',
  '\u2028',
  '\ufeff',
  '\u0000',
  '\u007f',
];

const nasty = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.array(fc.constantFrom(...NASTY), { maxLength: 6 }).map((parts) => parts.join('')),
);

// -0 is left out: where only JSON can carry a value it reads back as 0 (JSON has no -0).
const number = fc
  .oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, 2, 60, 1e21, 5e-324),
  )
  .map((n) => (Object.is(n, -0) ? 0 : n));

const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nasty,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nasty, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

/** A manifest document: known keys, berth's extension, an unknown key; values of any shape. */
const documentArb: fc.Arbitrary<JsonObject> = fc.dictionary(
  fc.constantFrom(...LABEL_KEYS, 'berth', 'x-extra'),
  fc.oneof(jsonValue, fc.array(nasty, { maxLength: 5 })),
  { noNullPrototype: true },
);

/** What `docker inspect` prints for the image a Dockerfile builds. */
function inspectJson(dockerfile: string): string {
  const labels = Object.fromEntries(
    [...loadDockerfileLabels(dockerfile, 'Dockerfile').labels].map(([name, l]) => [name, l.value]),
  );
  return JSON.stringify([{ Id: 'sha256:00', Config: { Labels: { maintainer: 'x', ...labels } } }], null, 4);
}

describe('emitLabels', () => {
  it('writes the EnvoyAI reference layout', () => {
    const text = emitLabels({
      'schema-in': { 'dicom-study-in': { 'dicom-type': 'dicom-study' } },
      'metadata-version': 2,
      nvidia: false,
      'dicom-tags': ['PatientAge', 'PatientSex'],
    });
    expect(text).to.equal(
      [
        'LABEL com.envoyai.metadata-version="2"',
        'LABEL com.envoyai.schema-in="\\',
        'dicom-study-in:\\n\\',
        '  dicom-type: dicom-study"',
        'LABEL com.envoyai.nvidia="false"',
        'LABEL com.envoyai.dicom-tags="\\',
        'PatientAge\\n\\',
        'PatientSex"',
        '',
      ].join('\n'),
    );
  });
  it('orders LABEL_KEYS, then org.berth.*, then other keys', () => {
    const text = emitLabels({ zzz: 1, berth: { a: 1 }, report: { findings: [] }, info: { name: 'n' } });
    expect(
      text
        .split('\n')
        .filter((l) => l.startsWith('LABEL'))
        .map((l) => l.split('=')[0]),
    ).to.deep.equal([
      'LABEL com.envoyai.info',
      'LABEL com.envoyai.report',
      'LABEL org.berth.berth',
      'LABEL com.envoyai.zzz',
    ]);
  });
  it('escapes $, quotes and backslashes only as needed, keeping regexes readable', () => {
    const text = emitLabel('schema-in', { n: { type: 'string', pattern: '^\\d+$', title: 'say "hi"' } });
    expect(text).to.contain('pattern: ^\\d+\\$\\n\\');
    expect(text).to.contain('title: say \\"hi\\""');
  });
  it('quotes strings that YAML 1.1 readers would not read as strings', () => {
    const text = emitLabel('info', { name: 'yes', a: 'on', b: '012', c: 'True' });
    expect(text).to.contain('name: \\"yes\\"');
    expect(text).to.contain('a: \\"on\\"');
    expect(text).to.contain('b: \\"012\\"');
  });
  it('does not write a block scalar line Docker would drop as a comment', () => {
    const value = { abstract: 'one\n# two\n' };
    const text = emitLabel('info', value);
    for (const line of text.split('\n').slice(1))
      expect(line.trimStart().startsWith('#'), line).to.equal(false);
    expect(
      manifestFromDockerfile(text.replace('info', 'metadata-version="2" com.envoyai.info'), 'D').document,
    ).to.deep.equal({
      'metadata-version': 2,
      info: value,
    });
  });
  it("keeps long values under Docker's line limit", () => {
    const value = { description: 'x'.repeat(100_000) + '\\$"'.repeat(5000), other: 'é'.repeat(30_000) };
    const text = emitLabel('info', value);
    for (const line of text.split('\n')) expect(Buffer.byteLength(line)).to.be.below(16_000);
    expect(manifestFromDockerfile(text, 'D').document).to.deep.equal({ info: value });
  });
  it('refuses a key that cannot be a LABEL name', () => {
    try {
      emitLabels({ 'a b': 1 });
      expect.fail('no error');
    } catch (e) {
      expect(isBerthError(e) && e.code).to.equal('BERTH_E_MANIFEST_UNKNOWN_KEY');
    }
  });
  it('writes dicom-tags that are not plain keywords so they still read back', () => {
    for (const tags of [['- x'], ['a', ''], ['[x'], ['a\nb'], [' a'], [1, 'x'], 'PatientAge']) {
      const doc = { 'metadata-version': 2, 'dicom-tags': tags } as JsonObject;
      expect(manifestFromDockerfile(emitLabels(doc), 'D').document, JSON.stringify(tags)).to.deep.equal(
        tags === 'PatientAge' ? { ...doc, 'dicom-tags': ['PatientAge'] } : doc,
      );
    }
  });
});

describe('labels round trip (the contract)', () => {
  it('manifestFromDockerfile(emitLabels(D)).document deep-equals D, and so does the inspect JSON', () => {
    fc.assert(
      fc.property(documentArb, (raw) => {
        // dicom-tags given as text is read back as its list of lines: keep D in the canonical form.
        if (typeof raw['dicom-tags'] === 'string') delete raw['dicom-tags'];
        const doc: JsonObject = { 'metadata-version': 2, ...raw };
        const dockerfile = 'FROM scratch\n' + emitLabels(doc);
        expect(manifestFromDockerfile(dockerfile, 'Dockerfile').document).to.deep.equal(doc);
        expect(manifestFromInspect(inspectJson(dockerfile), 'inspect.json').document).to.deep.equal(doc);
      }),
      { numRuns: 300 },
    );
  });
  it('also with # escape=` and with CRLF line endings', () => {
    fc.assert(
      fc.property(documentArb, (raw) => {
        if (typeof raw['dicom-tags'] === 'string') delete raw['dicom-tags'];
        const doc: JsonObject = { 'metadata-version': 2, ...raw };
        const dockerfile =
          '# escape=`\r\nFROM scratch\r\n' + emitLabels(doc, { escape: '`' }).replace(/\n/g, '\r\n');
        expect(manifestFromDockerfile(dockerfile, 'Dockerfile').document).to.deep.equal(doc);
      }),
      { numRuns: 150 },
    );
  });
});
