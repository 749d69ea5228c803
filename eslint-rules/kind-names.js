// @ts-check
/**
 * The kind names, read from src/kinds/registry.ts: every identifier listed in `REGISTERED` (exported as `KINDS`), looked up in the
 * kind file it is imported from, where its declared type names it (`KindDefinition<'array', …>`). Read from source text so
 * the lint config needs no TypeScript loader; test/lint/guards.test.ts pins the result to `KINDS`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** @param {string} root the repository root */
export function kindNames(root) {
  const dir = path.join(root, 'src', 'kinds');
  const registry = readFileSync(path.join(dir, 'registry.ts'), 'utf8');
  const list = /const REGISTERED[^=]*=\s*\[([^\]]*)\]/.exec(registry);
  if (!list)
    throw new Error('eslint-rules/kind-names: no `const REGISTERED = [...]` in src/kinds/registry.ts');
  const ids = list[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return ids.map((id) => {
    const from = new RegExp(`import \\{[^}]*\\b${id}\\b[^}]*\\} from '\\./([\\w-]+)\\.js'`).exec(registry);
    if (!from) throw new Error(`eslint-rules/kind-names: ${id} is not imported in src/kinds/registry.ts`);
    const text = readFileSync(path.join(dir, `${from[1]}.ts`), 'utf8');
    // Every kind is declared `export const xKind: KindDefinition<'name', Spec> = …`.
    const name = new RegExp(`export const ${id}:\\s*KindDefinition<'([a-z][a-z0-9-]*)'`).exec(text);
    if (!name)
      throw new Error(`eslint-rules/kind-names: cannot find the name of ${id} in src/kinds/${from[1]}.ts`);
    return name[1];
  });
}
