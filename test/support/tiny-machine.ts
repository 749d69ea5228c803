/** Trivial machines and their cases, for batch, queue and CLI tests (no image, no Python). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The smallest valid manifest: no inputs, no outputs, no command. */
export const EMPTY_MANIFEST = 'metadata-version: 2\ninfo: {name: t}\nschema-in: {}\nschema-out: {}\n';

/**
 * A trivial machine: a shell command that appends its input value to runs.log (so a test can
 * count how often each case ran), optionally sleeps, and writes score 0.4. With `noteFor`, it also
 * has an optional `note` output, written for the cases whose value is listed.
 */
export function makeMachine(dir: string, sleep = 0, noteFor?: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  // One write per run (O_APPEND), so two machines running at once never interleave their lines.
  const value = '"$(cat "$BERTH_INPUT/value")"';
  const notes = (noteFor ?? []).map((v) => ` && { [ ${value} != ${v} ] || echo hi > "$BERTH_OUTPUT/note"; }`);
  const script = `printf '%s\\n' ${value} >> runs.log${sleep ? ` && sleep ${sleep}` : ''} && echo 0.4 > "$BERTH_OUTPUT/score"${notes.join('')}`;
  writeFileSync(
    path.join(dir, 'machine.yaml'),
    [
      'metadata-version: 2',
      'info: {name: tiny}',
      'schema-in:',
      '  value: {type: string}',
      'schema-out:',
      '  score: {type: number}',
      ...(noteFor ? ['  note: {type: string, nullable: true}'] : []),
      'berth:',
      `  command: ${JSON.stringify(['/bin/sh', '-c', script])}`,
    ].join('\n') + '\n',
  );
}

/** `n` case files; those whose index is in `wrong` expect a score the machine does not write. */
export function makeCases(dir: string, n: number, wrong: (i: number) => boolean = () => false): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const id = `c${String(i).padStart(3, '0')}`;
    writeFileSync(
      path.join(dir, `${id}.yaml`),
      `inputs: {value: ${id}}\nexpected: {outputs: {score: ${wrong(i) ? 0.9 : 0.4}}}\n`,
    );
  }
}

export function runs(machineDir: string): string[] {
  const file = path.join(machineDir, 'runs.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
