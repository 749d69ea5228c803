/**
 * Fuzz of the manifest loader (src/manifest/load.ts) and the check every loaded manifest goes
 * through (checkManifest): the valid manifests of test/fixtures (YAML, JSON), the sample machine,
 * the Dockerfile fixtures and a `docker inspect` document, mutated with characters, tokens of YAML,
 * JSON and Dockerfile syntax and line edits, sometimes under another format's file name; and
 * arbitrary text. Each loads (its findings carrying catalogued codes) or throws a catalogued
 * BerthError. See test/support/fuzz.ts for the property and `npm run fuzz` for long runs.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkManifest } from '../../src/check/manifest.js';
import { CATALOGUE } from '../../src/errors.js';
import { decodeUtf8, loadManifestText } from '../../src/manifest/load.js';
import { fuzz, type FuzzCase } from '../support/fuzz.js';
import { applyTextEdits, SYNTAX_TOKENS, textEdits } from '../support/mutate.js';
import { fixture, ROOT } from '../support/paths.js';

/** File names that pick each format (load.ts tells formats by name first). */
const NAMES = ['machine.yaml', 'machine.json', 'Dockerfile', 'inspect.json', 'manifest'] as const;

const INSPECT = JSON.stringify([
  {
    Id: 'sha256:1',
    RepoTags: ['m:1'],
    Config: {
      Labels: {
        'com.envoyai.metadata-version': '2',
        'com.envoyai.info': '{"name": "inspected"}',
        'com.envoyai.schema-in': '{"a": {"type": "string", "maxLength": 3}}',
        'com.envoyai.schema-out': 'b: {type: boolean}',
      },
    },
  },
]);

interface Base {
  readonly name: string;
  readonly text: string;
}

function read(file: string, name: string): Base {
  return { name, text: readFileSync(file, 'utf8') };
}

const BASES: readonly Base[] = [
  ...readdirSync(fixture('manifests'))
    .filter((f) => f.startsWith('valid-') || f === 'types-every-kind.yaml')
    .map((f) => read(fixture('manifests', f), f.endsWith('.json') ? 'machine.json' : 'machine.yaml')),
  read(path.join(ROOT, 'sample-machine', 'machine.yaml'), 'machine.yaml'),
  ...readdirSync(fixture('dockerfiles')).map((f) => read(fixture('dockerfiles', f), 'Dockerfile')),
  { name: 'inspect.json', text: INSPECT },
];

/** Loads and checks a manifest as `berth check` does; findings must carry catalogued codes. */
function load(c: FuzzCase): void {
  const source = loadManifestText(decodeUtf8(c.bytes, c.variant), c.variant);
  for (const f of checkManifest(source).findings) {
    if (!Object.hasOwn(CATALOGUE, f.code) || f.code === 'BERTH_E_INTERNAL') {
      throw new Error(`checkManifest found ${f.code}: ${f.message}`);
    }
  }
}

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** A base manifest with text edits, under its own name or (one time in four) another. */
const mutated: fc.Arbitrary<FuzzCase> = fc
  .tuple(fc.nat({ max: BASES.length - 1 }), textEdits(5), fc.nat({ max: 3 }), fc.constantFrom(...NAMES))
  .map(([b, edits, rename, other]) => {
    const { name, text } = BASES[b]!;
    return { bytes: utf8(applyTextEdits(text, edits)), variant: rename === 0 ? other : name };
  });

/** Arbitrary text: any characters, syntax tokens strung together, JSON values, Dockerfile LABELs. */
const arbitraryText: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fc.constantFrom(...SYNTAX_TOKENS), { maxLength: 30 }).map((t) => t.join('')),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc
        .array(
          fc.tuple(
            fc.constantFrom('metadata-version', 'info', 'schema-in', 'schema-out', 'x'),
            fc.string({ maxLength: 30 }),
          ),
        )
        .map(
          (labels) =>
            `FROM scratch\n${labels.map(([k, v]) => `LABEL com.envoyai.${k}=${JSON.stringify(v)}`).join('\n')}\n`,
        ),
    ),
    fc.constantFrom(...NAMES),
  )
  .map(([text, variant]) => ({ bytes: utf8(text), variant }));

/** Bytes that are not always UTF-8: the loader must refuse them with BERTH_E_NOT_UTF8. */
const arbitraryBytes: fc.Arbitrary<FuzzCase> = fc
  .tuple(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...NAMES))
  .map(([bytes, variant]) => ({ bytes, variant }));

describe('manifest/load under fuzz: mutated and arbitrary manifests load or fail with catalogued codes', () => {
  it('loads and checks every mutated YAML, JSON, Dockerfile and inspect manifest, or refuses it, each within 2 s', async () => {
    await fuzz({ name: 'manifest-mutated', quickRuns: 200, arbitrary: mutated, run: load });
  });

  it('does the same for arbitrary text and bytes under every format name', async () => {
    await fuzz({
      name: 'manifest-arbitrary',
      quickRuns: 300,
      arbitrary: fc.oneof(arbitraryText, arbitraryBytes),
      run: load,
    });
  });
});
