/**
 * The launch stage: before anything is written, whether the driver (and the image) can run here;
 * then the machine started through its driver on the run's trees. A machine that cannot be
 * started is a fact for the verdict; a driver that cannot run here is the user's setup (an error).
 */
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '../../errors.js';
import type { Launched } from '../drivers/driver.js';
import { launchInput } from '../drivers/extras.js';
import { requireImage } from '../image.js';
import type { Run } from './case.js';
import type { RunOptions } from './options.js';

/** Refuses, before any tree exists, a driver that cannot run here or an image that is missing. */
export async function assertLaunchable(options: RunOptions): Promise<void> {
  const unavailable = await options.driver.unavailable(
    options.engine === undefined ? {} : { engine: options.engine },
  );
  if (unavailable) {
    throw new BerthError(
      'BERTH_E_DRIVER_UNAVAILABLE',
      `The ${options.driver.name} driver cannot run here: ${unavailable}`,
    );
  }
  if (options.driver.name === 'container' && options.image)
    await requireImage(options.image, options.engine, options.machineDir);
}

/** A started machine, and when its launch began (its wall time counts from there). */
export interface Started {
  launched: Launched;
  sinceMs: number;
}

/** Starts the machine; undefined (with the reason in the run's facts) when it could not start. */
export async function launch(run: Run): Promise<Started | undefined> {
  const { options, dirs, report } = run;
  run.emit({ type: 'stage', stage: 'launch' });
  // The trees are shared with a machine that may run as another user (sandbox, container).
  await Promise.all([chmod(dirs.output, 0o777), chmod(dirs.status, 0o777)]);
  report.notices.push(...(options.notices ?? []));
  let launched: Launched;
  const sinceMs = performance.now();
  try {
    launched = await options.driver.launch({
      ...options.launch,
      command: options.command,
      cwd: options.machineDir,
      input: await launchInput(dirs.input, run.workDir, options.launch),
      output: dirs.output,
      status: dirs.status,
      manifest: path.resolve(options.definition.source.path),
      env: options.env ?? {},
      network: options.definition.settings.network,
      nvidia: options.definition.settings.nvidia,
      ...(options.image ? { image: options.image } : {}),
      ...(options.engine ? { engine: options.engine } : {}),
    });
  } catch (e) {
    const message = (e as Error).message;
    report.status = { progress: null, warnings: [], error: message };
    run.facts.launchError = { message };
    return undefined;
  }
  report.notices.push(...launched.notices);
  run.emit({ type: 'stage', stage: 'running' });
  return { launched, sinceMs };
}
