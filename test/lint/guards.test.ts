import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { ESLint } from 'eslint';
import { KINDS } from '../../src/kinds/registry.js';
import { ROOT } from '../support/paths.js';

/** Lints `code` as if it were the file at `file` (relative to the repository root); returns the rule ids fired. */
async function rulesFired(eslint: ESLint, file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

/** A function of `lines` lines in all (signature and closing brace included). */
function functionOf(lines: number, name = 'f'): string {
  const body = Array.from({ length: lines - 4 }, (_, i) => `  x += ${i};`);
  return [`export function ${name}(): number {`, '  let x = 0;', ...body, '  return x;', '}', ''].join('\n');
}

/** Every .ts file under src/, relative to the repository root. */
function sourceFiles(dir = 'src'): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
  );
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

  it('refuses a kind name compared with a variable the kind was copied into', async () => {
    const copied =
      "export const isImage = (p: { kind: string }): boolean => {\n  const kind = p.kind;\n  return kind === 'dicom-image';\n};\n";
    expect(await rulesFired(eslint, 'src/harness/x.ts', copied)).to.deep.equal(['house/no-kind-literals']);
    const destructured =
      "export const isSeries = ({ kind }: { kind: string }): boolean => kind !== 'dicom-series';\n";
    expect(await rulesFired(eslint, 'src/net/x.ts', destructured)).to.deep.equal(['house/no-kind-literals']);
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

  describe('the size guards: files of one job, functions on one screen', () => {
    it('refuses a file of more than 400 lines of code in src/', async () => {
      const code = Array.from({ length: 401 }, (_, i) => `export const c${i} = ${i};`).join('\n') + '\n';
      expect(await rulesFired(eslint, 'src/harness/x.ts', code)).to.deep.equal(['max-lines']);
    });

    it('counts neither blank lines nor comments towards the 400', async () => {
      const code = Array.from({ length: 390 }, (_, i) => `// note ${i}\n\nexport const c${i} = ${i};`);
      expect(await rulesFired(eslint, 'src/harness/x.ts', code.join('\n') + '\n')).to.deep.equal([]);
    });

    it('refuses a function of more than 80 lines in src/, and accepts one of 80', async () => {
      expect(await rulesFired(eslint, 'src/harness/x.ts', functionOf(81))).to.deep.equal([
        'max-lines-per-function',
      ]);
      expect(await rulesFired(eslint, 'src/harness/x.ts', functionOf(80))).to.deep.equal([]);
    });

    it('accepts an exception that says why, and refuses one that does not', async () => {
      const why = '// eslint-disable-next-line max-lines-per-function -- one table, read top to bottom\n';
      expect(await rulesFired(eslint, 'src/harness/x.ts', why + functionOf(120))).to.deep.equal([]);
      const silent = '// eslint-disable-next-line max-lines-per-function\n';
      expect(await rulesFired(eslint, 'src/harness/x.ts', silent + functionOf(120))).to.deep.equal([
        'house/disable-reason',
      ]);
      const fileWide = '/* eslint-disable max-lines -- */\n';
      const long = Array.from({ length: 401 }, (_, i) => `export const c${i} = ${i};`).join('\n');
      expect(await rulesFired(eslint, 'src/harness/x.ts', `${fileWide}${long}\n`)).to.deep.equal([
        'house/disable-reason',
      ]);
    });

    it('finds in src/ no blanket eslint-disable and no disable of a size guard without a reason', () => {
      const directive = /^\s*(?:\/\/|\/\*)\s*eslint-disable(?:-next-line|-line)?\b(.*)$/;
      const offenders: string[] = [];
      for (const file of sourceFiles()) {
        for (const [i, line] of readFileSync(path.join(ROOT, file), 'utf8').split('\n').entries()) {
          const rest = directive.exec(line)?.[1]?.replace(/\*\/\s*$/, '');
          if (rest === undefined) continue;
          const [rules = '', reason = ''] = rest.split(/\s--(?:\s|$)/);
          const blanket = rules.trim() === '';
          const sizeRule = /\bmax-lines(?:-per-function)?\b/.test(rules);
          if (blanket || (sizeRule && reason.trim() === ''))
            offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        }
      }
      expect(offenders).to.deep.equal([]);
    });

    it('allowlists only files that still break the size guard they are excused from', async () => {
      const allowlist = pathToFileURL(path.join(ROOT, 'eslint-rules/allowlist.js')).href;
      const { houseAllowlist } = (await import(allowlist)) as {
        houseAllowlist: { tooLong: { file: string; rules: string[] }[] };
      };
      for (const { file, rules } of houseAllowlist.tooLong) {
        // The same text linted as a sibling file that is not allowlisted: the excused rules must fire.
        const probe = path.join(path.dirname(file), `size-probe-${path.basename(file)}`);
        const fired = await rulesFired(eslint, probe, readFileSync(path.join(ROOT, file), 'utf8'));
        for (const rule of rules) expect(fired, `${file} no longer breaks ${rule}`).to.include(rule);
      }
    });
  });
});
