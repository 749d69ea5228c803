/**
 * Where the sandbox can lay a Dockerfile's build context and WORKDIR. bwrap creates a missing
 * mount point only on its own tmpfs root, or under the masked (tmpfs) directories and /tmp: a
 * path that does not exist inside a read-only host directory (`COPY . /usr/src/app` on a host
 * without /usr/src/app) cannot be made. Such a layout falls back to the machine folder, with a
 * notice.
 */
import { stat } from 'node:fs/promises';
import type { LaunchSpec } from './driver.js';
import { isWithin } from './inside.js';
import { MASKED_DIRS, type HostView } from './host-view.js';

/** True when bwrap can make `p` a mount point or directory inside the sandbox. */
async function layable(p: string, host: HostView): Promise<boolean> {
  if ([...MASKED_DIRS, '/tmp', '/envoyai'].some((m) => isWithin(p, m))) return true;
  const top = p.split('/')[1] ?? '';
  const fromHost = host.rootEntries.some((e) => e.name === top);
  if (!fromHost) return true;
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The spec with a layout bwrap can make, and what was given up, in words. */
export async function placeLayout(
  spec: LaunchSpec,
  host: HostView,
): Promise<{ spec: LaunchSpec; notices: string[] }> {
  if (!spec.contextAt) return { spec, notices: [] };
  const { contextAt, workdir, ...rest } = spec;
  if (!(await layable(contextAt, host))) {
    return {
      spec: rest,
      notices: [
        `the sandbox cannot lay the machine folder at ${contextAt} (a read-only host directory without it): it runs in ${spec.cwd}`,
      ],
    };
  }
  if (workdir && !isWithin(workdir, contextAt) && !(await layable(workdir, host))) {
    return {
      spec: { ...rest, contextAt },
      notices: [`the sandbox cannot make the WORKDIR ${workdir}: it starts in ${contextAt}`],
    };
  }
  return { spec, notices: [] };
}
