/**
 * How the image a Dockerfile builds starts: its ENTRYPOINT and CMD combined as Docker combines
 * them, its WORKDIR, and where `ADD`/`COPY . <dir>` lays the build context — so the process and
 * sandbox drivers can start a machine as its image would, without building it. Instructions are
 * split by the same scanner as the LABELs (dockerfile-scan.ts).
 *
 * Docker's rules (Dockerfile reference, "Understand how CMD and ENTRYPOINT interact"):
 * - exec form `["a", "b"]` is the argv; shell form `a b` is `["/bin/sh", "-c", "a b"]`;
 * - an ENTRYPOINT in exec form takes the CMD as its arguments; in shell form it ignores CMD;
 * - an ENTRYPOINT resets a CMD inherited from the base stage (not one set in its own stage);
 * - the last of each counts; stages built `FROM` an earlier stage inherit its settings.
 */
import path from 'node:path';
import { scanInstructions, type Instruction } from './dockerfile-scan.js';

/** One ENTRYPOINT or CMD: the argv it stands for and how it was written. */
export interface StartForm {
  argv: string[];
  form: 'exec' | 'shell';
}

/** What the image starts with, from its Dockerfile. */
export interface DockerfileStart {
  entrypoint?: StartForm;
  cmd?: StartForm;
  /** The combined command; empty when neither is set. */
  command: string[];
  /** The final WORKDIR (absolute; `/` when none is set). */
  workdir: string;
  /** Where `ADD`/`COPY . <dir>` puts the build context, absolute; undefined when nothing does. */
  contextAt?: string;
  /** The choice in words, for a notice. */
  described: string;
}

interface StageState {
  name?: string;
  base: string;
  entrypoint?: StartForm;
  cmd?: StartForm;
  cmdSet: boolean;
  workdir: string;
  contextAt?: string;
}

function startForm(args: string): StartForm {
  if (args.trimStart().startsWith('[')) {
    try {
      const v: unknown = JSON.parse(args);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { argv: v, form: 'exec' };
    } catch {
      // Not JSON: Docker runs it as a shell command, and so does berth.
    }
  }
  return { argv: ['/bin/sh', '-c', args], form: 'shell' };
}

/** The destination of a `COPY`/`ADD` of the whole context (`.` or `./`), else undefined. */
function contextDestination(ins: Instruction, workdir: string): string | undefined {
  const words = ins.args.text.split(/[\t ]+/).filter((w) => w !== '');
  if (words.some((w) => w.startsWith('--from'))) return undefined;
  const plain = words.filter((w) => !w.startsWith('--'));
  if (plain.length !== 2 || !['.', './'].includes(plain[0]!)) return undefined;
  return path.posix.resolve(workdir, plain[1]!);
}

function applyInstruction(stage: StageState, ins: Instruction): void {
  const args = ins.args.text;
  switch (ins.keyword) {
    case 'entrypoint':
      stage.entrypoint = startForm(args);
      if (!stage.cmdSet) delete stage.cmd;
      break;
    case 'cmd':
      stage.cmd = startForm(args);
      stage.cmdSet = true;
      break;
    case 'workdir':
      stage.workdir = path.posix.resolve(stage.workdir, args.trim());
      break;
    case 'add':
    case 'copy':
      stage.contextAt = contextDestination(ins, stage.workdir) ?? stage.contextAt;
      break;
    default:
      break;
  }
}

/** The combined command, as Docker would run it. */
function combine(entrypoint: StartForm | undefined, cmd: StartForm | undefined): string[] {
  if (entrypoint && entrypoint.argv.length > 0) {
    return entrypoint.form === 'shell' ? entrypoint.argv : [...entrypoint.argv, ...(cmd?.argv ?? [])];
  }
  return cmd?.argv ?? [];
}

/** Reads how a Dockerfile's image starts (see the module comment). */
export function dockerfileStart(text: string, file: string): DockerfileStart {
  const { instructions } = scanInstructions(text, file);
  const stages: StageState[] = [];
  let stage: StageState = { base: '', cmdSet: false, workdir: '/' };
  for (const ins of instructions) {
    if (ins.keyword === 'from') {
      const words = ins.args.text.split(/[\t ]+/).filter((w) => w !== '' && !w.startsWith('--'));
      const base = (words[0] ?? '').toLowerCase();
      const name =
        words.length === 3 && words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
      const parent = stages.find((s) => s.name !== undefined && s.name === base);
      stage = {
        base,
        cmdSet: false,
        workdir: parent?.workdir ?? '/',
        ...(name ? { name } : {}),
        ...(parent?.entrypoint ? { entrypoint: parent.entrypoint } : {}),
        ...(parent?.cmd ? { cmd: parent.cmd } : {}),
        ...(parent?.contextAt ? { contextAt: parent.contextAt } : {}),
      };
      stages.push(stage);
    } else {
      applyInstruction(stage, ins);
    }
  }
  const command = combine(stage.entrypoint, stage.cmd);
  const parts = [
    stage.entrypoint ? `ENTRYPOINT ${JSON.stringify(stage.entrypoint.argv)}` : undefined,
    stage.cmd && !(stage.entrypoint?.form === 'shell') ? `CMD ${JSON.stringify(stage.cmd.argv)}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return {
    ...(stage.entrypoint ? { entrypoint: stage.entrypoint } : {}),
    ...(stage.cmd ? { cmd: stage.cmd } : {}),
    command,
    workdir: stage.workdir,
    ...(stage.contextAt ? { contextAt: stage.contextAt } : {}),
    described: parts.length > 0 ? parts.join(' + ') : 'no ENTRYPOINT or CMD',
  };
}
