/**
 * `berth init`: scaffolds a new TypeScript machine that passes `berth test` as soon as it is built.
 *
 * Decisions:
 * - **The name** becomes `info.name`, the npm package name and the image name, so it must suit all
 *   three: lower-case letters and digits in words joined by single `.`, `_` or `-`, at most 128
 *   characters, and not `berth` (a package cannot depend on its own name). EnvoyAI itself only
 *   asks for non-empty text. Without `--name` it is derived from the directory's name (lower-cased,
 *   other characters turned into `-`); a name given with `--name` is taken as is or refused.
 * - **How the machine gets berth**: from the npm registry (`"berth": "^<version>"`) when the running
 *   berth was installed from one (its real path lies inside a `node_modules` folder); otherwise —
 *   a checkout, `npm link`, or `--berth-path` — as `"berth": "file:<path relative to the machine>"`,
 *   which npm installs as a symlink to that berth.
 * - **Writing**: into an absent or empty directory; into a non-empty one only with `force`, and then
 *   only berth's files are written (replacing files of the same name); nothing is ever deleted.
 *   A directory holding only `.git` counts as empty. Every path is checked before anything is
 *   written (a symbolic link, or a folder where a file goes, is refused), so a refusal leaves the
 *   directory untouched.
 * - `src/machine-types.ts` is generated from the manifest by {@link generateTypes}, byte for byte
 *   what `berth types machine.yaml --out src/machine-types.ts` (the machine's `npm run types`) writes.
 */
import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkManifest } from '../check/manifest.js';
import { BerthError, toBerthError } from '../errors.js';
import { generateTypes } from '../kinds/typescript.js';
import { loadManifestText } from '../manifest/load.js';
import { writeFileAtomic } from '../tree/atomic.js';
import { VERSION } from '../version.js';
import {
  dockerfile,
  dockerignore,
  gitignore,
  machineYaml,
  mainTs,
  packageJson,
  readme,
  syntheticCaseYaml,
  tsconfigJson,
  type TemplateFacts,
} from './init-templates.js';

/** What {@link initMachine} is asked to do. */
export interface InitOptions {
  /** The machine directory (created when absent). */
  dir: string;
  /** `info.name`; default: derived from the directory's name. */
  name?: string;
  /** Write into a non-empty directory (never deleting anything). */
  force?: boolean;
  /** A berth package directory to depend on as `file:`; default: the running berth (see above). */
  berthPath?: string;
}

/** One file {@link initMachine} wrote. */
export interface InitFile {
  /** Relative to the machine directory, `/`-separated. */
  readonly path: string;
  /** True when a file of that name was there before (only with `force`). */
  readonly replaced: boolean;
}

/** What {@link initMachine} did. */
export interface InitResult {
  /** The machine directory, absolute. */
  readonly dir: string;
  readonly name: string;
  /** The `berth` dependency written to package.json. */
  readonly berthDependency: string;
  /** Every file written, in writing order. */
  readonly files: readonly InitFile[];
}

/** Names a machine may have: see the module comment. */
const NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const NAME_MAX = 128;

/** What is wrong with a machine name, or undefined when it is usable. */
export function machineNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > NAME_MAX) return `it has ${name.length} characters`;
  if (!NAME_PATTERN.test(name)) return 'it has characters other than a-z, 0-9 and single . _ - between them';
  if (name === 'berth') return 'a machine package cannot be named like its dependency berth';
  return undefined;
}

/** A usable machine name made from a directory's name, or undefined when nothing usable is left. */
export function nameFromDirectory(dir: string): string | undefined {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, NAME_MAX)
    .replace(/-+$/, '');
  return machineNameProblem(name) === undefined ? name : undefined;
}

/** A title for people from a name: `lung-screen` → `Lung screen`. */
export function titleFromName(name: string): string {
  const words = name.replace(/[._-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The root of the running berth package (this file is `src/harness/` or `dist/harness/` in it). */
export function runningBerthRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** A berth package directory's package.json, or a BerthError saying why it is not one. */
async function readBerthPackage(dir: string): Promise<{ devDependencies?: object }> {
  const file = path.join(dir, 'package.json');
  let pkg: unknown;
  try {
    pkg = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_NOT_FOUND', {
      path: dir,
      expected: 'the directory of the berth package (with its package.json)',
    });
  }
  if (typeof pkg !== 'object' || pkg === null || (pkg as { name?: unknown }).name !== 'berth') {
    throw new BerthError('BERTH_E_USAGE', `${dir} is not the berth package`, {
      path: file,
      expected: 'a package.json with "name": "berth"',
    });
  }
  return pkg as { devDependencies?: object };
}

/**
 * The `berth` dependency of a machine in `machineDir` on the berth package in `berthRoot` (both
 * real paths): `^<version>` when that berth came from a registry (it lies inside a `node_modules`
 * folder) and was not named explicitly, else `file:` and the path from the machine to it.
 */
export function berthDependencySpec(machineDir: string, berthRoot: string, explicit: boolean): string {
  if (!explicit && berthRoot.split(path.sep).includes('node_modules')) return `^${VERSION}`;
  const relative = path.relative(machineDir, berthRoot).split(path.sep).join('/');
  return `file:${relative === '' ? '.' : relative}`;
}

/** The devDependency range berth itself builds with, or a fallback. */
function rangeOf(pkg: { devDependencies?: object }, name: string, fallback: string): string {
  const value = (pkg.devDependencies as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : fallback;
}

/** The files of a machine, in writing order, the generated types included. */
function scaffold(facts: TemplateFacts): [string, string][] {
  const manifest = machineYaml(facts);
  const check = checkManifest(loadManifestText(manifest, 'machine.yaml'));
  if (!check.ok) {
    // The template is fixed and the name validated: a finding here is berth's bug, not the user's.
    throw new BerthError(
      'BERTH_E_INTERNAL',
      `The scaffolded manifest has findings: ${check.findings.map((f) => f.message).join('; ')}`,
    );
  }
  const types = generateTypes(check.definition, { source: 'machine.yaml', version: VERSION });
  return [
    ['machine.yaml', manifest],
    ['src/main.ts', mainTs(facts)],
    ['src/machine-types.ts', types],
    ['package.json', packageJson(facts)],
    ['tsconfig.json', tsconfigJson()],
    ['Dockerfile', dockerfile(facts)],
    ['.dockerignore', dockerignore()],
    ['cases/synthetic/case.yaml', syntheticCaseYaml()],
    ['.gitignore', gitignore()],
    ['README.md', readme(facts)],
  ];
}

/** The entry at `p`, or undefined when there is none. */
async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw toBerthError(e, 'BERTH_E_IO', { path: p });
  }
}

/**
 * Refuses anything in the way of writing `relative` under `dir`: a folder where a file goes, a
 * file where a folder goes, or a symbolic link (which would carry the write out of the machine).
 * Returns whether a file of that name exists (and will be replaced).
 */
async function checkWay(dir: string, relative: string): Promise<boolean> {
  const parts = relative.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const p = path.join(dir, ...parts.slice(0, i));
    const st = await lstatOrUndefined(p);
    if (st === undefined) return false;
    const last = i === parts.length;
    if (st.isSymbolicLink() || (last ? !st.isFile() : !st.isDirectory())) {
      throw new BerthError('BERTH_E_OUT_NOT_EMPTY', `${p} is in the way of berth init's ${relative}`, {
        path: p,
        expected: last ? 'no entry or a regular file' : 'no entry or a directory (not a symbolic link)',
      });
    }
    if (last) return true;
  }
  return false;
}

/**
 * Scaffolds a machine in `options.dir`. Throws BERTH_E_USAGE for a bad name, BERTH_E_OUT_NOT_EMPTY
 * for a non-empty directory without `force` (or an entry in the way of a file), BERTH_E_NOT_FOUND
 * or BERTH_E_USAGE for a `berthPath` that is not the berth package. Every check comes before the
 * first write, so a refusal leaves the directory as it was.
 */
export async function initMachine(options: InitOptions): Promise<InitResult> {
  const dir = path.resolve(options.dir);
  let name: string;
  if (options.name !== undefined) {
    const problem = machineNameProblem(options.name);
    if (problem) {
      throw new BerthError(
        'BERTH_E_USAGE',
        `The machine name ${JSON.stringify(options.name)} is unusable: ${problem}`,
        {
          expected: 'lower-case letters and digits, words joined by single . _ or - (e.g. lung-screen)',
        },
      );
    }
    name = options.name;
  } else {
    const derived = nameFromDirectory(dir);
    if (derived === undefined) {
      throw new BerthError('BERTH_E_USAGE', `No machine name can be made from ${path.basename(dir)}`, {
        expected: '--name NAME (lower-case letters and digits, words joined by single . _ or -)',
      });
    }
    name = derived;
  }

  // The directory itself may be a symbolic link: the user named it. Only entries inside are refused as links.
  const st = await stat(dir).catch((e: { code?: unknown }) => {
    if (e.code === 'ENOENT') return undefined;
    throw toBerthError(e, 'BERTH_E_IO', { path: options.dir });
  });
  if (st !== undefined && !st.isDirectory()) {
    throw new BerthError('BERTH_E_OUT_NOT_EMPTY', `${options.dir} exists and is not a directory`, {
      path: options.dir,
      expected: 'an absent or empty directory',
    });
  }
  // A fresh `git init` counts as empty: .git is never one of berth's files.
  const existing = st === undefined ? [] : (await readdir(dir)).filter((e) => e !== '.git');
  if (existing.length > 0 && options.force !== true) {
    throw new BerthError('BERTH_E_OUT_NOT_EMPTY', `${options.dir} holds ${existing.length} entries`, {
      path: options.dir,
      expected:
        'an absent or empty directory, or --force (which writes berth init files and deletes nothing)',
    });
  }

  // The berth package is checked before anything is created, so a bad --berth-path leaves no trace.
  const berthRoot = await realpath(path.resolve(options.berthPath ?? runningBerthRoot())).catch(
    (e: unknown) => {
      throw toBerthError(e, 'BERTH_E_NOT_FOUND', {
        path: options.berthPath,
        expected: 'the directory of the berth package',
      });
    },
  );
  const berthPkg = await readBerthPackage(berthRoot);
  await mkdir(dir, { recursive: true });
  const facts: TemplateFacts = {
    name,
    title: titleFromName(name),
    // Real paths on both sides, so the relative path holds however either was reached.
    berthDependency: berthDependencySpec(await realpath(dir), berthRoot, options.berthPath !== undefined),
    typescriptRange: rangeOf(berthPkg, 'typescript', '^5.9.0'),
    typesNodeRange: rangeOf(berthPkg, '@types/node', '^20.0.0'),
  };
  const files = scaffold(facts);
  const replaced = new Map<string, boolean>();
  for (const [relative] of files) replaced.set(relative, await checkWay(dir, relative));
  for (const [relative, text] of files) await writeFileAtomic(path.join(dir, ...relative.split('/')), text);
  return {
    dir,
    name,
    berthDependency: facts.berthDependency,
    files: files.map(([p]) => ({ path: p, replaced: replaced.get(p) === true })),
  };
}
