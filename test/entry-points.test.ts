import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from './support/paths.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The backticked names of one cell: `a` `b`; prose such as "manifests:" in between is ignored. */
function names(cell: string): string[] {
  return [...cell.matchAll(/`([A-Za-z_][\w]*)`/g)].map((m) => m[1]!);
}

/** The README's row for an entry point in "Entry points: `berth` and `berth/tools`". */
function readmeRow(entry: string): { values: string[]; types: string[] } {
  const section = README.split('### Entry points')[1]?.split('\n#')[0] ?? '';
  const row = section.split('\n').find((l) => l.startsWith(`| \`${entry}\` |`));
  expect(row, `README row for ${entry}`).to.be.a('string');
  const [, , values = '', types = ''] = row!.split('|');
  return { values: names(values), types: names(types) };
}

/** Imports an entry point by the package's own name (Node's self-reference through "exports"). */
async function importByName(specifier: string): Promise<Record<string, unknown>> {
  return (await import(specifier)) as Record<string, unknown>;
}

/** The names a compiled declaration file exports (`export { a, type B } from …`, `export declare …`). */
function declaredExports(dts: string): Set<string> {
  const out = new Set<string>();
  for (const m of dts.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part
        .trim()
        .replace(/^type /, '')
        .split(/\s+as\s+/)
        .pop();
      if (name) out.add(name);
    }
  }
  return out;
}

for (const [entry, dts] of [
  ['berth', 'index.d.ts'],
  ['berth/tools', 'tools.d.ts'],
] as const) {
  describe(`the ${entry} entry point`, () => {
    before(function () {
      expect(existsSync(path.join(ROOT, 'dist', dts)), `dist/${dts} (run npm run build first)`).to.equal(
        true,
      );
    });

    it('imports by package name and exports exactly the values the README lists', async () => {
      const api = await importByName(entry);
      const { values } = readmeRow(entry);
      for (const name of values) expect(api[name], `${entry} exports ${name}`).to.not.equal(undefined);
      expect(Object.keys(api).sort()).to.deep.equal([...new Set(values)].sort());
    });

    it('declares exactly the types the README lists, besides its values', () => {
      const declared = declaredExports(readFileSync(path.join(ROOT, 'dist', dts), 'utf8'));
      const { values, types } = readmeRow(entry);
      expect([...declared].sort()).to.deep.equal([...new Set([...values, ...types])].sort());
    });
  });
}

describe('the package exports', () => {
  it('refuses deep imports into dist/', async () => {
    let code: unknown;
    await importByName('berth/dist/dicom/transcode.js').catch((e: { code?: unknown }) => (code = e.code));
    expect(code).to.equal('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('offers every API function the README calls by name from berth or berth/tools', async () => {
    const [berth, tools] = await Promise.all([importByName('berth'), importByName('berth/tools')]);
    const wireBlock = README.split('### API (`berth/tools`')[1]?.split('```')[1] ?? '';
    const cited = [
      // Calls that start a line or follow `, ` / `;  ` (a method such as `toFindings()` follows `; `).
      ...[...wireBlock.matchAll(/(?:^|, |; {2})(\w+)\(/gm)].map((m) => m[1]!),
      ...['transcodeFile', 'deriveSeries', 'isNotApplicable', 'openMachine'],
    ];
    expect(cited).to.include.members(['encodeTree', 'decodeTree', 'sniffWireFormat', 'pointerTo']);
    for (const name of cited) expect(berth[name] ?? tools[name], name).to.be.a('function');
  });
});
