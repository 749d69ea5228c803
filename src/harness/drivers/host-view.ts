/**
 * What the sandbox knows of the host (read by `readHostView` in ./sandbox.ts), in a module of its
 * own so that ./layout.ts and ./needs.ts can use it without importing the sandbox driver.
 */

/** Top-level host directories hidden behind an empty tmpfs (see ./sandbox.ts's module comment). */
export const MASKED_DIRS = ['/root', '/home', '/run'] as const;

/** One top-level entry of the host's root directory. */
export type RootEntry = { name: string; kind: 'dir' } | { name: string; kind: 'symlink'; target: string };

/** The facts about the host that shape the bwrap arguments (read by `readHostView`). */
export interface HostView {
  /** Directories and symlinks directly under `/`. */
  rootEntries: RootEntry[];
  /** NVIDIA device nodes (`/dev/nvidia0`, `/dev/nvidiactl` …); empty without a GPU. */
  gpuDevices: string[];
  /** Where `/etc/resolv.conf` really lives, when that is under a masked directory (systemd-resolved). */
  resolvConfDir?: string;
}
