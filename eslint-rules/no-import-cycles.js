// @ts-check
/**
 * No import cycles among the files under `roots`, type-only imports included (import-x's `no-cycle`
 * skips `import type`, and a type cycle still ties two layers together). The file being linted is
 * read from its AST; every other file from disk, once per lint run, with TypeScript's import scanner.
 * A cycle is reported on each import that closes one, with the path it takes.
 *
 * Options: `{ roots: string[], allow?: [from, to][] }`, paths relative to the working directory;
 * an allowed edge is left out of the graph (an allowlist entry, commented where it is configured).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** @type {Map<string, { mtimeMs: number, deps: string[] }>} */
const onDisk = new Map();

/** @param {string} spec @param {string} from */
function resolveLocal(spec, from) {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  const stem = base.replace(/\.(m|c)?js$/, '');
  for (const c of [`${stem}.ts`, `${stem}.mts`, `${stem}.d.ts`, base, path.join(base, 'index.ts')]) {
    if (c.endsWith('.ts') && existsSync(c) && statSync(c).isFile()) return c;
  }
  return undefined;
}

/** @param {string} file */
function depsOnDisk(file) {
  const mtimeMs = statSync(file).mtimeMs;
  const hit = onDisk.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.deps;
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const deps = info.importedFiles.map((f) => resolveLocal(f.fileName, file)).filter((d) => d !== undefined);
  onDisk.set(file, { mtimeMs, deps });
  return deps;
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'forbid import cycles, type-only imports included' },
    schema: [
      {
        type: 'object',
        properties: {
          roots: { type: 'array', items: { type: 'string' } },
          allow: {
            type: 'array',
            items: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 },
          },
        },
        required: ['roots'],
        additionalProperties: false,
      },
    ],
    messages: { cycle: 'import cycle: {{route}}' },
  },
  create(context) {
    const cwd = context.cwd;
    const { roots, allow = [] } = context.options[0] ?? { roots: [] };
    const inRoots = (/** @type {string} */ f) =>
      roots.some((r) => !path.relative(path.resolve(cwd, r), f).startsWith('..'));
    const allowed = new Set(allow.map(([a, b]) => `${path.resolve(cwd, a)}\0${path.resolve(cwd, b)}`));
    const edge = (/** @type {string} */ a, /** @type {string} */ b) =>
      inRoots(b) && !allowed.has(`${a}\0${b}`);
    const self = context.physicalFilename;
    if (!inRoots(self)) return {};
    const rel = (/** @type {string} */ f) => path.relative(cwd, f);

    /** The shortest way back from `start` to the linted file, or undefined. @param {string} start */
    function routeBack(start) {
      /** @type {Map<string, string | undefined>} */
      const parent = new Map([[start, undefined]]);
      const queue = [start];
      for (let i = 0; i < queue.length; i++) {
        const at = /** @type {string} */ (queue[i]);
        for (const d of depsOnDisk(at)) {
          if (!edge(at, d) || parent.has(d)) continue;
          parent.set(d, at);
          if (d === self) {
            const route = [];
            for (let n = /** @type {string | undefined} */ (d); n !== undefined; n = parent.get(n))
              route.unshift(n);
            return route;
          }
          queue.push(d);
        }
      }
      return undefined;
    }

    /** @param {any} node @param {any} source */
    function check(node, source) {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const target = resolveLocal(source.value, self);
      if (!target || target === self || !edge(self, target)) return;
      const route = routeBack(target);
      if (route)
        context.report({ node, messageId: 'cycle', data: { route: [self, ...route].map(rel).join(' → ') } });
    }
    return {
      /** @param {any} n */ ImportDeclaration: (n) => check(n, n.source),
      /** @param {any} n */ ExportNamedDeclaration: (n) => check(n, n.source),
      /** @param {any} n */ ExportAllDeclaration: (n) => check(n, n.source),
      /** @param {any} n */ ImportExpression: (n) => check(n, n.source),
      /** @param {any} n */ TSImportType: (n) => check(n, n.argument?.literal ?? n.argument),
    };
  },
};
