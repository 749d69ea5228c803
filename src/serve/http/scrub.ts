/**
 * Keeps the gateway's own file system out of its answers: findings and messages name files in
 * a request's temporary trees, which a client has no business knowing (nor could use). They are
 * rewritten relative to the trees: `input/ct/1.2.3.dcm`, `output/summary`.
 */
import path from 'node:path';
import type { Finding } from '../../errors.js';
import type { Scrubber } from './http-error.js';

/** A scrubber for the trees of one request (`<runDir>/input`, `<runDir>/output` …). */
export function scrubberFor(runDir: string): Scrubber & { finding(f: Finding): Finding } {
  const root = path.resolve(runDir);
  const inputDir = path.join(root, 'input');
  const text = (t: string) =>
    t
      .split(root + path.sep)
      .join('')
      .split(root)
      .join('.');
  return {
    text,
    relative(file: string): string | undefined {
      const abs = path.resolve(file);
      if (abs !== inputDir && !abs.startsWith(inputDir + path.sep)) return undefined;
      const rel = path.relative(inputDir, abs).split(path.sep).join('/');
      return rel.length > 0 ? rel : undefined;
    },
    finding(f: Finding): Finding {
      return {
        ...f,
        message: text(f.message),
        ...(f.path === undefined ? {} : { path: text(f.path) }),
        ...(f.expected === undefined ? {} : { expected: text(f.expected) }),
      };
    },
  };
}
