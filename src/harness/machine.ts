import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../errors.js';
import type { Driver } from './drivers/driver.js';
import { isJsonObject } from '../manifest/document.js';
import { locateManifest } from '../manifest/locate.js';
import { loadMachine, type MachineDefinition } from '../check/manifest.js';
import { dockerfileStart, type DockerfileStart } from '../manifest/dockerfile-run.js';

export { MANIFEST_NAMES } from '../manifest/locate.js';

/** A machine as the harness sees it: its manifest, its directory, and how to start it. */
export interface MachineRef {
  manifestPath: string;
  machineDir: string;
  definition: MachineDefinition;
  /** The command from the manifest's `berth.command`, when it has one. */
  command?: string[];
  /** How the machine's Dockerfile (the manifest, or `Dockerfile` beside it) starts its image. */
  start?: DockerfileStart;
}

/** A machine's start from the Dockerfile in its directory, when there is a readable one. */
async function readStart(machineDir: string): Promise<DockerfileStart | undefined> {
  const file = path.join(machineDir, 'Dockerfile');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return dockerfileStart(text, file);
  } catch {
    // A Dockerfile berth cannot read is reported by `berth check`; here it just gives no command.
    return undefined;
  }
}

/** Finds and checks a machine given as a directory or as a manifest file. */
export async function resolveMachine(arg: string): Promise<MachineRef> {
  const manifestPath = path.resolve(await locateManifest(arg));
  const definition = await loadMachine(manifestPath);
  const ext = definition.source.document['berth'];
  const command = isJsonObject(ext) ? parseCommand(ext['command']) : undefined;
  const start = await readStart(path.dirname(manifestPath));
  return {
    manifestPath,
    machineDir: path.dirname(manifestPath),
    definition,
    ...(command ? { command } : {}),
    ...(start ? { start } : {}),
  };
}

/** A command as a list of arguments, from a list or from a string split like a shell would. */
export function parseCommand(value: unknown): string[] | undefined {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string') && value.length > 0)
    return value as string[];
  if (typeof value === 'string' && value.trim().length > 0) return splitCommand(value);
  return undefined;
}

/**
 * Splits a command line into arguments: whitespace separates, single quotes keep everything,
 * double quotes keep everything but `\"` and `\\`, a backslash escapes the next character.
 * No expansion of any kind happens (no variables, globs or pipes: there is no shell).
 */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0)
        throw new BerthError('BERTH_E_USAGE', 'Unclosed single quote in the command', {
          expected: "a closing '",
        });
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        cur += line[i];
      }
      if (i >= line.length)
        throw new BerthError('BERTH_E_USAGE', 'Unclosed double quote in the command', {
          expected: 'a closing "',
        });
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** How a driver starts a machine: the command, and for the sandbox, the image's layout. */
export interface LaunchPlan {
  command: string[];
  /** Where the sandbox lays the machine folder (the Dockerfile's `ADD . <dir>`). */
  contextAt?: string;
  /** The sandbox's working directory (the Dockerfile's WORKDIR, with `contextAt`). */
  workdir?: string;
  /** What was chosen, in words, when it came from the Dockerfile. */
  notices: string[];
}

/**
 * How a driver starts the machine, checked: `--cmd` when given; else, outside an image, the
 * manifest's `berth.command`; else the Dockerfile's ENTRYPOINT/CMD, combined as Docker does, with
 * a notice — the sandbox then lays the machine folder where the Dockerfile's `ADD . <dir>` puts
 * it and starts in its WORKDIR; the process driver runs from the machine folder. An image is
 * started as the platform starts it — its own ENTRYPOINT/CMD — so the container driver may have
 * no command, but needs an image.
 */
export function launchPlan(
  machine: MachineRef,
  driver: Driver,
  override?: string[],
  image?: string,
): LaunchPlan {
  if (driver.name === 'container' && !image) {
    throw new BerthError('BERTH_E_USAGE', 'The container driver needs --image', { expected: '--image NAME' });
  }
  const explicit = override ?? (driver.name === 'container' ? [] : machine.command);
  if (explicit && (explicit.length > 0 || driver.name === 'container'))
    return { command: explicit, notices: [] };
  const start = machine.start;
  if (!start || start.command.length === 0) {
    throw new BerthError(
      'BERTH_E_NO_COMMAND',
      `berth does not know how to start ${machine.definition.settings.name}`,
      {
        path: machine.manifestPath,
        expected: 'berth: {command: [...]} in the manifest, --cmd "...", or a Dockerfile ENTRYPOINT/CMD',
      },
    );
  }
  const plan: LaunchPlan = { command: start.command, notices: [] };
  if (driver.name === 'sandbox' && start.contextAt) {
    plan.contextAt = start.contextAt;
    plan.workdir = start.workdir;
    plan.notices.push(
      `no --cmd: running the Dockerfile's ${start.described} in ${start.workdir}, with the machine folder at ${start.contextAt}`,
    );
  } else {
    plan.notices.push(`no --cmd: running the Dockerfile's ${start.described} in the machine folder`);
  }
  return plan;
}

/** The command of {@link launchPlan}. */
export function launchCommand(
  machine: MachineRef,
  driver: Driver,
  override?: string[],
  image?: string,
): string[] {
  return launchPlan(machine, driver, override, image).command;
}
