import { expect } from 'chai';
import { isBerthError } from '../../src/errors.js';
import { loadManifestText } from '../../src/manifest/load.js';

/** Loads `text` as machine.yaml; the code and line it is refused with, and the process warnings it caused. */
async function refusal(text: string): Promise<{ code?: string; line?: number; warnings: string[] }> {
  const warnings: string[] = [];
  const listener = (w: Error): void => void warnings.push(w.message);
  process.on('warning', listener);
  let out: { code?: string; line?: number } = {};
  try {
    loadManifestText(text, 'machine.yaml');
  } catch (e) {
    out = isBerthError(e)
      ? { code: e.code, ...(e.line === undefined ? {} : { line: e.line }) }
      : { code: String(e) };
  }
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', listener);
  return { ...out, warnings };
}

describe('manifest/yaml-text: keys that are not names', () => {
  // Found by test/manifest/load.fuzz.test.ts: the parser turned such keys into text like "[ a ]"
  // and printed a Node warning on the user's terminal.
  it('refuses a collection, binary or aliased-collection mapping key with BERTH_E_YAML_SYNTAX and its line, printing no warning', async () => {
    const cases: [string, number][] = [
      ['metadata-version: 2\n? [a, b]\n: 1\n', 2],
      ['metadata-version: 2\ninfo:\n  ? {name: x}\n  : 2\n', 3],
      ['schema-out:\n  test.jpg: {!!binary aGk=: 1}\n', 2],
      ['k: &x [1]\nm: {*x : 1}\n', 2],
    ];
    for (const [text, line] of cases) {
      expect(await refusal(text), text).to.deep.equal({ code: 'BERTH_E_YAML_SYNTAX', line, warnings: [] });
    }
  });

  it('keeps keys that are text, numbers, booleans, null or aliases of text', () => {
    const doc = loadManifestText('1: a\ntrue: b\n~: c\nk: &x key\nm: {*x : 1}\n', 'machine.yaml').document;
    expect(doc).to.deep.equal({ '1': 'a', true: 'b', '': 'c', k: 'key', m: { key: 1 } });
  });
});
