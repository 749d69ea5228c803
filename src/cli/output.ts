import { isBerthError, toBerthError, type BerthError, type Finding } from '../errors.js';

/** Exit codes shared by every berth command. */
export const EXIT = {
  ok: 0,
  /** The input was usable but has problems (findings). */
  findings: 1,
  /** The input could not be used at all, or the command was called wrongly. */
  unusable: 2,
} as const;

/** Formats one finding as one line for people: `file:line  error  CODE  property  message`. */
export function formatFinding(f: Finding): string {
  const where = f.path ? `${f.path}${f.line === undefined ? '' : `:${f.line}`}` : '';
  const expected = f.expected && !f.message.includes('expected') ? `; expected ${f.expected}` : '';
  return [where, f.severity, f.code, f.property ?? '', f.message + expected].filter(Boolean).join('  ');
}

/** Prints an error for people (no stack trace) or as JSON, and returns the exit code to use. */
export function reportError(e: unknown, json: boolean): number {
  const err: BerthError = isBerthError(e) ? e : toBerthError(e);
  if (json) {
    process.stdout.write(
      JSON.stringify(
        { ok: false, error: { code: err.code, message: err.message, path: err.path, line: err.line } },
        null,
        2,
      ) + '\n',
    );
  } else {
    process.stderr.write(`berth: ${err.code}: ${err.message}\n`);
    if (err.code === 'BERTH_E_INTERNAL' && process.env['BERTH_DEBUG'] && err.cause instanceof Error) {
      process.stderr.write(`${err.cause.stack ?? ''}\n`);
    }
  }
  return EXIT.unusable;
}

/** Writes text to stdout and resolves when it is flushed (so exit codes never cut output). */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}
