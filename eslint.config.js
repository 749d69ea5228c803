// @ts-check
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { kindNames } from './eslint-rules/kind-names.js';
import noImportCycles from './eslint-rules/no-import-cycles.js';
import noKindLiterals from './eslint-rules/no-kind-literals.js';
import disableReason from './eslint-rules/disable-reason.js';
import { houseAllowlist } from './eslint-rules/allowlist.js';

const root = import.meta.dirname;

/**
 * The house's layers, top to bottom (shared/DESIGN.md "The house"): a file may import its own layer
 * and the layers below it, never one above. src/index.ts and src/tools.ts are the package's faces:
 * they may import anything, and nothing in src/ imports them.
 */
const LAYERS = [
  ['src/cli'],
  ['src/serve', 'src/batch', 'src/net', 'src/wire', 'src/harness'],
  ['src/sdk', 'src/check'],
  ['src/kinds'],
  ['src/dicom', 'src/ndarray', 'src/tree', 'src/manifest'],
  ['src/errors.ts', 'src/version.ts'],
];
const FACES = ['src/index.ts', 'src/tools.ts'];

/**
 * One zone per (lower layer, upper folder) pair, so an allowlisted file pair can be an `except` of
 * exactly its zone. `except` maps an importing file to the files above it that it may still import.
 * @param {Record<string, string[]>} except
 */
function layerZones(except = {}) {
  const zones = [];
  for (const [i, layer] of LAYERS.entries()) {
    for (const target of layer) {
      for (const from of [...LAYERS.slice(0, i).flat(), ...FACES]) {
        const allowed = Object.entries(except)
          .filter(([file]) => file === target || file.startsWith(`${target}/`))
          .flatMap(([, tos]) => tos.filter((to) => to === from || to.startsWith(`${from}/`)))
          .map((to) => `./${to.slice(from.length + 1)}`);
        zones.push({
          target,
          from,
          ...(allowed.length > 0 ? { except: allowed } : {}),
          message: `${target} may not import ${from}: imports point downward (cli → serve/wire/harness → sdk/check → kinds → dicom/ndarray/tree/manifest → errors).`,
        });
      }
    }
  }
  return zones;
}

const { upward, cycles, kindLiterals, tooLong } = houseAllowlist;

/**
 * The size guards: a file does one job (≤ 400 lines), a function reads on one screen (≤ 80 lines).
 * Blank lines and comments are not counted, so documenting code never pushes it over. An exception
 * is an `eslint-disable` of the rule with a reason after ` -- ` (house/disable-reason enforces it).
 */
const SIZE_RULES = {
  'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
  'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'sample-machine/dist/**',
      'node_modules/**',
      'coverage/**',
      '**/*.cjs',
      'test/fixtures/generated/**',
      'scratch*',
      'berth-demo/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  // The house's guards (README "Development"): import direction, no cycles, kind names only in kinds/.
  {
    files: ['src/**/*.ts'],
    plugins: {
      'import-x': importX,
      house: {
        rules: {
          'no-import-cycles': noImportCycles,
          'no-kind-literals': noKindLiterals,
          'disable-reason': disableReason,
        },
      },
    },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: layerZones() }],
      'house/no-import-cycles': [
        'error',
        { roots: ['src'], allow: cycles.map(({ from, to }) => [from, to]) },
      ],
      'house/no-kind-literals': ['error', { names: kindNames(root), tagged: ['file'] }],
      'house/disable-reason': ['error', { rules: Object.keys(SIZE_RULES) }],
      ...SIZE_RULES,
    },
  },
  ...tooLong.map(({ file, rules }) => ({
    files: [file],
    rules: Object.fromEntries(rules.map((rule) => [rule, 'off'])),
  })),
  ...upward.map(({ file, imports }) => ({
    files: [file],
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: layerZones({ [file]: imports }) }],
    },
  })),
  { files: ['src/kinds/**/*.ts', ...kindLiterals], rules: { 'house/no-kind-literals': 'off' } },
);
