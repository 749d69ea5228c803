/**
 * Driver settings a run passes beyond its trees, and the machine's private writable copy of the
 * input tree (`--writable-input`): the run's own input tree stays as materialised, for the
 * checks and reports, and the case's files are never touched.
 */
import path from 'node:path';
import { copyTree } from '../materialise.js';
import type { LaunchSpec } from './driver.js';

/** The {@link LaunchSpec} fields a run passes through unchanged. */
export type LaunchExtras = Pick<LaunchSpec, 'contextAt' | 'workdir' | 'writableInput' | 'binds' | 'runId'>;

/** The input tree to give the machine: the run's own, or a writable copy of it beside it. */
export async function launchInput(input: string, workDir: string, extras?: LaunchExtras): Promise<string> {
  if (!extras?.writableInput) return input;
  const copy = path.join(workDir, 'input-writable');
  await copyTree(input, copy);
  return copy;
}
