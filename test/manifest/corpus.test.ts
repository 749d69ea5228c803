import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { checkManifest } from '../../src/check/manifest.js';
import { isBerthError } from '../../src/errors.js';
import { loadManifestFile } from '../../src/manifest/load.js';
import { fixture } from '../support/paths.js';

/**
 * The manifest corpus: every file under test/fixtures/manifests states what berth must say of
 * it in `# expect:` header lines — `ok`, `CODE property [line N]` for each error finding (the set
 * must match exactly), `error CODE` for a manifest that cannot be used at all — and
 * `# expect-warning:` lines for warnings.
 */
interface Expectation {
  ok: boolean;
  thrown?: string;
  errors: { code: string; property: string; line?: number }[];
  warnings: { code: string; property: string }[];
}

function expectationOf(file: string): Expectation {
  const text = readFileSync(file, 'utf8');
  if (text.length === 0) return { ok: false, thrown: 'BERTH_E_EMPTY', errors: [], warnings: [] };
  const e: Expectation = { ok: false, errors: [], warnings: [] };
  if (file.endsWith('.json')) return { ...e, ok: true };
  for (const m of text.matchAll(/^# expect(-warning)?: (.*)$/gm)) {
    const [, warning, spec] = m;
    const words = spec!.trim();
    if (words === 'ok') e.ok = true;
    else if (words.startsWith('error ')) e.thrown = words.slice(6);
    else {
      const lineMatch = / line (\d+)$/.exec(words);
      const rest = lineMatch ? words.slice(0, lineMatch.index) : words;
      const space = rest.indexOf(' ');
      const code = rest.slice(0, space);
      const property = rest.slice(space + 1);
      if (warning) e.warnings.push({ code, property });
      else e.errors.push({ code, property, ...(lineMatch ? { line: Number(lineMatch[1]) } : {}) });
    }
  }
  return e;
}

const dir = fixture('manifests');
const files = readdirSync(dir).sort();

describe('manifest corpus', () => {
  it('holds at least 40 manifests, valid and invalid', () => {
    expect(files.filter((f) => f.startsWith('valid-')).length).to.be.at.least(20);
    expect(files.filter((f) => f.startsWith('invalid-')).length).to.be.at.least(40);
  });

  for (const name of files) {
    const file = path.join(dir, name);
    const want = expectationOf(file);
    it(`${name}: ${want.thrown ? `refused with ${want.thrown}` : want.ok ? 'ok' : want.errors.map((x) => x.code).join(', ')}`, async () => {
      let result;
      try {
        result = checkManifest(await loadManifestFile(file));
      } catch (e) {
        if (!want.thrown) throw e;
        expect(isBerthError(e), String(e)).to.equal(true);
        expect((e as { code: string }).code).to.equal(want.thrown);
        return;
      }
      expect(want.thrown, 'expected the manifest to be refused').to.equal(undefined);
      const errors = result.findings.filter((f) => f.severity === 'error');
      if (want.ok) {
        expect(errors, JSON.stringify(errors, null, 1)).to.deep.equal([]);
      } else {
        const got = errors.map((f) => `${f.code} ${f.property}`).sort();
        expect(got).to.deep.equal(want.errors.map((x) => `${x.code} ${x.property}`).sort());
        for (const w of want.errors.filter((x) => x.line !== undefined)) {
          const f = errors.find((x) => x.code === w.code && x.property === w.property);
          expect(f?.line, `${w.code} line`).to.equal(w.line);
        }
        for (const f of errors) expect(f.path).to.equal(file);
      }
      for (const w of want.warnings) {
        expect(
          result.findings.some(
            (f) => f.severity === 'warning' && f.code === w.code && f.property === w.property,
          ),
        ).to.equal(true, `warning ${w.code} at ${w.property}`);
      }
    });
  }
});
