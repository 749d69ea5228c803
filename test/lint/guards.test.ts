import path from 'node:path';
import { expect } from 'chai';
import { ESLint } from 'eslint';
import { KINDS } from '../../src/kinds/registry.js';
import { ROOT } from '../support/paths.js';

/** Lints `code` as if it were the file at `file` (relative to the repository root); returns the rule ids fired. */
async function rulesFired(eslint: ESLint, file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('the house guards (eslint.config.js)', function () {
  // Loading the config and the TypeScript parser takes seconds on a busy machine; no assertion is timed.
  this.timeout(120_000);
  let eslint: ESLint;
  before(() => {
    eslint = new ESLint({ cwd: ROOT });
  });

  it('knows exactly the kind names of the registry', async () => {
    const config = (await eslint.calculateConfigForFile(path.join(ROOT, 'src/harness/x.ts'))) as {
      rules: Record<string, [unknown, { names: string[] }]>;
    };
    expect(config.rules['house/no-kind-literals']?.[1].names).to.deep.equal(KINDS.map((k) => k.name));
  });

  it('refuses a kind name compared with .kind outside src/kinds/', async () => {
    const code = "export const isEnum = (p: { kind: string }): boolean => p.kind === 'enum';\n";
    expect(await rulesFired(eslint, 'src/harness/x.ts', code)).to.deep.equal(['house/no-kind-literals']);
  });

  it('refuses a case of a kind name in a switch on .kind outside src/kinds/', async () => {
    const code = [
      'export function f(x: { kind: string }): number {',
      '  switch (x.kind) {',
      "    case 'dicom-series':",
      '      return 1;',
      '    default:',
      '      return 0;',
      '  }',
      '}',
      '',
    ].join('\n');
    expect(await rulesFired(eslint, 'src/harness/x.ts', code)).to.deep.equal(['house/no-kind-literals']);
  });

  it('refuses a list of kinds typed KindName[] outside src/kinds/', async () => {
    const code = [
      "import type { KindName } from '../kinds/property.js';",
      "export const DICOM: readonly KindName[] = ['dicom-image'];",
      '',
    ].join('\n');
    expect(await rulesFired(eslint, 'src/wire/x.ts', code)).to.deep.equal(['house/no-kind-literals']);
  });

  it('lets src/kinds/ test kind names, and other unions use their own tags', async () => {
    const kindTest = "export const isEnum = (p: { kind: string }): boolean => p.kind === 'enum';\n";
    expect(await rulesFired(eslint, 'src/kinds/x.ts', kindTest)).to.deep.equal([]);
    const entryTest = "export const isFile = (info: { kind: string }): boolean => info.kind === 'file';\n";
    expect(await rulesFired(eslint, 'src/harness/x.ts', entryTest)).to.deep.equal([]);
    const pixels = "export const native = (px: { kind: string }): boolean => px.kind === 'native';\n";
    expect(await rulesFired(eslint, 'src/harness/x.ts', pixels)).to.deep.equal([]);
  });

  it('refuses an import that points upward, and allows one that points downward', async () => {
    const up = "import { KINDS } from '../kinds/registry.js';\nexport const n = KINDS.length;\n";
    expect(await rulesFired(eslint, 'src/tree/x.ts', up)).to.deep.equal(['import-x/no-restricted-paths']);
    expect(await rulesFired(eslint, 'src/check/x.ts', up)).to.deep.equal([]);
    const fromFace = "import { VERSION } from '../index.js';\nexport const v = VERSION;\n";
    expect(await rulesFired(eslint, 'src/cli/x.ts', fromFace)).to.deep.equal([
      'import-x/no-restricted-paths',
    ]);
  });

  it('refuses an import that closes a cycle, also when it imports only types', async () => {
    // src/tree/safe-path.ts imports src/errors.ts: errors.ts importing it back closes a cycle
    // (and points upward too).
    const value = "import { safeJoin } from './tree/safe-path.js';\nexport const j = safeJoin;\n";
    expect(await rulesFired(eslint, 'src/errors.ts', value)).to.include('house/no-import-cycles');
    const typeOnly =
      "import type { safeJoin } from './tree/safe-path.js';\nexport type J = typeof safeJoin;\n";
    expect(await rulesFired(eslint, 'src/errors.ts', typeOnly)).to.include('house/no-import-cycles');
  });
});
