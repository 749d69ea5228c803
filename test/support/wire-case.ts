/** Shared pieces of the whole-document wire tests: manifests, tree listing and comparison. */
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkManifest, loadMachine, type MachineDefinition } from '../../src/check/manifest.js';
import { isBerthError, type BerthError } from '../../src/errors.js';
import { synthTree } from '../../src/harness/synth-tree.js';
import type { Property, Side } from '../../src/kinds/property.js';
import { loadManifestText } from '../../src/manifest/load.js';
import { WireDecodeError } from '../../src/wire/case.js';
import { removeDir, tempDir } from './temp.js';
import { ROOT, fixture } from './paths.js';

/** The fixture with every kind on both sides. */
export const EVERY_KIND = fixture('manifests', 'types-every-kind.yaml');
/** The sample machine's manifest. */
export const SAMPLE = path.join(ROOT, 'sample-machine', 'machine.yaml');

/** Loads a manifest file. */
export function machine(file: string): Promise<MachineDefinition> {
  return loadMachine(file);
}

/** A definition from inline YAML, which must be free of errors. */
export function definitionOf(yaml: string): MachineDefinition {
  const result = checkManifest(loadManifestText(yaml, 'inline.yaml'));
  expect(result.findings.filter((f) => f.severity === 'error')).to.deep.equal([]);
  return result.definition;
}

/** Every file under `root`, relative, sorted. */
export async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const d of entries) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out.sort();
}

/** Asserts two trees hold the same files with the same bytes. */
export async function expectSameTree(a: string, b: string): Promise<void> {
  const fa = await listFiles(a);
  expect(await listFiles(b)).to.deep.equal(fa);
  for (const f of fa) {
    const [x, y] = await Promise.all([readFile(path.join(a, f)), readFile(path.join(b, f))]);
    expect(x.equals(y), `${f} differs`).to.equal(true);
  }
}

/** The problems of a rejected decode as `[code, path]` pairs (fails when it did not throw one). */
export async function problemsOf(run: () => Promise<unknown>): Promise<[string, string | undefined][]> {
  try {
    await run();
  } catch (e) {
    if (e instanceof WireDecodeError) return e.problems.map((p: BerthError) => [p.code, p.path]);
    if (isBerthError(e)) return [[e.code, e.path]];
    throw e;
  }
  throw new Error('expected the decode to fail');
}

/** Bytes as hex, for comparisons whose failures can be read. */
export const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * A temp folder made before the enclosing suite and removed after it; returns a function giving a
 * new path inside it on every call.
 */
export function freshPaths(prefix: string): () => string {
  let tmp = '';
  let n = 0;
  before(async () => {
    tmp = await tempDir(prefix);
  });
  after(() => removeDir(tmp));
  return () => path.join(tmp, `t${n++}`);
}

/** What a format's round trip gets: a synthesised tree at `src` and an empty `dst` to decode into. */
export interface RoundTrip {
  def: MachineDefinition;
  side: Side;
  props: readonly Property[];
  src: string;
  dst: string;
  fresh: () => string;
}

/**
 * The round trips both formats must pass: every kind and the sample machine, each side, with and
 * without nullable properties, from a tree synthesised with `seed`. `run` encodes `src`, decodes
 * into `dst` and checks what is particular to its format.
 */
export function itRoundTripsEveryTree(
  seed: number,
  fresh: () => string,
  run: (t: RoundTrip) => Promise<void>,
): void {
  for (const [label, file] of [
    ['every kind', EVERY_KIND],
    ['the sample machine', SAMPLE],
  ] as const) {
    for (const side of ['in', 'out'] as const) {
      for (const omitNullable of [false, true]) {
        it(`${label}, schema-${side}${omitNullable ? ', nullable left out' : ''}`, async function () {
          this.timeout(60_000);
          const def = await machine(file);
          const props = side === 'in' ? def.inputs : def.outputs;
          const src = fresh();
          expect((await synthTree(def, side, src, { seed, omitNullable })).findings).to.deep.equal([]);
          await run({ def, side, props, src, dst: fresh(), fresh });
        });
      }
    }
  }
}
