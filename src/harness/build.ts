/**
 * `berth build`: builds a machine's image with whichever builder is installed — buildah, podman
 * or docker — and sets the manifest's EnvoyAI LABELs on it with `--label` flags, so machine
 * developers never paste them into their Dockerfile (a pasted block is set again, to the same
 * values). buildah and podman build into berth's private podman storage ({@link engineEnv}),
 * where `berth run --driver container` finds the image.
 */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { loadDockerfileLabels } from '../manifest/dockerfile.js';
import type { JsonObject } from '../manifest/document.js';
import { emitLabels } from '../manifest/labels-emit.js';
import { engineEnv } from './drivers/container.js';
import { requireBaseImage } from './image.js';
import type { MachineRef } from './machine.js';

/** The image builders berth can drive. */
export type Builder = 'buildah' | 'podman' | 'docker';

/** Builders in the order tried when none is named. */
export const BUILDERS: readonly Builder[] = ['buildah', 'podman', 'docker'];

/** The build argument a machine's Dockerfile reads its base image from (`FROM ${BERTH_IMAGE}`). */
export const BASE_IMAGE_ARG = 'BERTH_IMAGE';

/** Everything the builder's command line is made of. */
export interface BuildPlanInput {
  builder: Builder;
  /** The build context (the machine's directory). */
  context: string;
  dockerfile: string;
  tag: string;
  /** Label name → value exactly as the image stores it. */
  labels: ReadonlyMap<string, string>;
  /** The base image, passed as `--build-arg BERTH_IMAGE=...`. */
  base?: string;
  /** More `KEY=VALUE` build arguments. */
  buildArgs?: readonly string[];
}

/**
 * The builder's arguments (without the executable). Pure, for tests. buildah and podman build
 * with chroot isolation (no network namespace or bridge to set up: RUN steps share the host's
 * network, which `npm ci` needs, and nothing else is created) and never pull: the base image is
 * expected to be local, as `berth run` expects the machine's.
 */
export function buildArgs(input: BuildPlanInput): string[] {
  const args: string[] =
    input.builder === 'buildah'
      ? ['bud', '--isolation', 'chroot', '--pull=never']
      : input.builder === 'podman'
        ? ['build', '--isolation', 'chroot', '--pull=never']
        : ['build'];
  args.push('--file', input.dockerfile, '--tag', input.tag);
  for (const [name, value] of input.labels) args.push('--label', `${name}=${value}`);
  if (input.base !== undefined) args.push('--build-arg', `${BASE_IMAGE_ARG}=${input.base}`);
  for (const a of input.buildArgs ?? []) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) {
      throw new BerthError('BERTH_E_USAGE', `${JSON.stringify(a)} is not a build argument`, {
        expected: 'KEY=VALUE',
      });
    }
    args.push('--build-arg', a);
  }
  args.push(input.context);
  return args;
}

/**
 * The image's labels for a manifest document: the values `berth labels` writes, as the image
 * stores them (read back through berth's own Dockerfile reader, so both paths agree exactly).
 */
export function labelsOf(document: JsonObject): Map<string, string> {
  const { labels } = loadDockerfileLabels(emitLabels(document), '(berth labels)');
  return new Map([...labels].map(([name, l]) => [name, l.value]));
}

/**
 * A default image name from the manifest: `info.name` as a repository name (lower case, runs of
 * other characters as `-`) and `info.release-version` as the tag (`latest` without one).
 */
export function defaultTag(document: JsonObject): string {
  const info = document['info'];
  const rawName = info && typeof info === 'object' && !Array.isArray(info) ? info['name'] : undefined;
  const rawVersion =
    info && typeof info === 'object' && !Array.isArray(info) ? info['release-version'] : undefined;
  const repo =
    String(rawName ?? 'machine')
      .toLowerCase()
      .replace(/[^a-z0-9._/-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'machine';
  const tag =
    typeof rawVersion === 'string' || typeof rawVersion === 'number'
      ? String(rawVersion)
          .replace(/[^A-Za-z0-9_.-]+/g, '-')
          .replace(/^[.-]+/, '')
          .slice(0, 128)
      : '';
  return `${repo}:${tag || 'latest'}`;
}

/** What to build. */
export interface BuildOptions {
  machine: MachineRef;
  /** The Dockerfile (default: `Dockerfile`, then `Containerfile`, in the machine's directory). */
  dockerfile?: string;
  tag?: string;
  /** buildah, podman or docker (default: the first of them that works here). */
  engine?: string;
  base?: string;
  buildArgs?: readonly string[];
  /** The environment the builder runs in (default: berth's own). */
  env?: NodeJS.ProcessEnv;
  /**
   * Whether to make sure the named builder works here (default true). A dry run that names its
   * builder skips it, so the command can be shown where the builder is not installed.
   */
  probe?: boolean;
}

/** A build as planned: the builder, its arguments and environment. */
export interface BuildPlan {
  builder: Builder;
  args: string[];
  env: NodeJS.ProcessEnv;
  tag: string;
  /** Things worth telling before the build: a manifest the image may lack, a --base with no effect. */
  notices: string[];
}

/** Finds the Dockerfile, picks the builder and composes the command, without running it. */
export async function planBuild(options: BuildOptions): Promise<BuildPlan> {
  const dir = options.machine.machineDir;
  const dockerfile = options.dockerfile
    ? path.resolve(options.dockerfile)
    : await firstFile([path.join(dir, 'Dockerfile'), path.join(dir, 'Containerfile')]);
  if (!dockerfile) {
    throw new BerthError('BERTH_E_NOT_FOUND', `There is no Dockerfile in ${dir}`, {
      path: dir,
      expected: 'a Dockerfile (or Containerfile) in the machine directory, or --file',
    });
  }
  const text = await readFile(dockerfile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new BerthError('BERTH_E_NOT_FOUND', `The Dockerfile ${dockerfile} cannot be read: ${e.message}`, {
      path: dockerfile,
    });
  });
  const notices: string[] = [];
  if (/\bberth\b/.test(text) && !text.includes('/envoyai/machine.yaml')) {
    notices.push(
      `${path.basename(dockerfile)} does not copy the manifest to /envoyai/machine.yaml; ` +
        "berth exec (the base image's entrypoint) needs it there",
    );
  }
  if (options.base !== undefined && !new RegExp(`^\\s*ARG\\s+${BASE_IMAGE_ARG}\\b`, 'im').test(text)) {
    notices.push(
      `--base has no effect: ${path.basename(dockerfile)} has no "ARG ${BASE_IMAGE_ARG}" for "FROM \${${BASE_IMAGE_ARG}}"`,
    );
  }
  const builder = await chooseBuilder(options.engine, options.env ?? process.env, options.probe ?? true);
  // buildah and podman share berth's private storage with the container driver.
  const env =
    builder === 'docker'
      ? { ...(options.env ?? process.env) }
      : (await engineEnv('podman', undefined, options.env ?? process.env)).env;
  const defaultBase = defaultBaseImage(text);
  const base = defaultBase === undefined ? undefined : (options.base ?? defaultBase);
  if ((options.probe ?? true) && base !== undefined)
    await requireBaseImage(builder === 'docker' ? 'docker' : 'podman', base, env, dockerfile);
  const tag = options.tag ?? defaultTag(options.machine.definition.source.document);
  const args = buildArgs({
    builder,
    context: dir,
    dockerfile,
    tag,
    labels: labelsOf(options.machine.definition.source.document),
    ...(options.base !== undefined ? { base: options.base } : {}),
    ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
  });
  return { builder, args, env, tag, notices };
}

/** The default of `ARG BERTH_IMAGE=…` when a FROM uses it: the base image the build needs. */
export function defaultBaseImage(dockerfileText: string): string | undefined {
  const arg = new RegExp(`^\\s*ARG\\s+${BASE_IMAGE_ARG}=(\\S+)`, 'im').exec(dockerfileText);
  const used = new RegExp(`^\\s*FROM\\s+\\$\\{?${BASE_IMAGE_ARG}\\b`, 'im').test(dockerfileText);
  return arg && used ? arg[1]!.replace(/^["']|["']$/g, '') : undefined;
}

/** Runs a planned build to completion; resolves with the image name, throws when it fails. */
export async function runBuild(
  plan: BuildPlan,
  output: NodeJS.WritableStream = process.stderr,
): Promise<string> {
  const code = await new Promise<number | null>((resolve, reject) => {
    // The builder's stdout goes to `output` (stderr by default): berth's stdout carries the name only.
    const child = spawn(plan.builder, plan.args, { env: plan.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(output, { end: false });
    child.stderr.pipe(output, { end: false });
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).catch((e: Error) => {
    throw new BerthError('BERTH_E_BUILD_FAILED', `${plan.builder} could not be started: ${e.message}`);
  });
  if (code !== 0) {
    throw new BerthError('BERTH_E_BUILD_FAILED', `${plan.builder} exited with code ${code}`, {
      expected: 'a Dockerfile that builds (see the builder output above)',
    });
  }
  return plan.tag;
}

/** The named builder, or the first that works here. */
async function chooseBuilder(
  named: string | undefined,
  env: NodeJS.ProcessEnv,
  probe: boolean,
): Promise<Builder> {
  if (named !== undefined) {
    if (!(BUILDERS as readonly string[]).includes(named)) {
      throw new BerthError('BERTH_E_USAGE', `There is no image builder ${JSON.stringify(named)}`, {
        expected: BUILDERS.join(', '),
      });
    }
    const why = probe ? await builderUnavailable(named as Builder, env) : undefined;
    if (why) throw new BerthError('BERTH_E_NO_BUILDER', why);
    return named as Builder;
  }
  const reasons: string[] = [];
  for (const b of BUILDERS) {
    const why = await builderUnavailable(b, env);
    if (!why) return b;
    reasons.push(why);
  }
  throw new BerthError('BERTH_E_NO_BUILDER', reasons.join('; '), {
    expected: 'apt-get install -y buildah podman runc (or a running Docker engine)',
  });
}

/** Why a builder cannot build here, or undefined when it can. */
async function builderUnavailable(builder: Builder, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  // docker's client is useless without its daemon: ask the server for its version.
  const args = builder === 'docker' ? ['version', '--format', '{{.Server.Version}}'] : ['version'];
  const r = await new Promise<{ code: number | null; error?: NodeJS.ErrnoException; stderr: string }>(
    (resolve) => {
      const child = spawn(builder, args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, error, stderr }));
      child.once('close', (code) => resolve({ code, stderr }));
    },
  );
  if (r.error?.code === 'ENOENT') return `${builder} is not installed`;
  if (r.error) return `${builder} cannot run: ${r.error.message}`;
  if (r.code !== 0)
    return `${builder} cannot build here: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`;
  return undefined;
}

async function firstFile(candidates: readonly string[]): Promise<string | undefined> {
  for (const c of candidates) {
    if (
      await stat(c).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return c;
  }
  return undefined;
}
