import type { ChildProcess } from 'node:child_process';

/** Everything a driver needs to start a machine. */
export interface LaunchSpec {
  /** The machine's command (argv), already resolved. */
  command: string[];
  /** Working directory for the process driver (the machine's directory). */
  cwd: string;
  /** Host directories of the three trees; the input tree must not be written. */
  input: string;
  output: string;
  status: string;
  /** The manifest file, for machines and `berth exec` inside images. */
  manifest: string;
  /** Extra environment for the machine. */
  env: Record<string, string>;
  /** The manifest's `network: true` (drivers that can isolate grant network only then). */
  network: boolean;
  /** The manifest's `nvidia: true`. */
  nvidia: boolean;
  /** Container drivers: the image to run. */
  image?: string;
  /** Container drivers: `podman` or `docker`. */
  engine?: string;
  /** Sandbox: where the machine folder (`cwd`) appears inside (a Dockerfile's `ADD . /prog`). */
  contextAt?: string;
  /** Sandbox: the working directory inside (a Dockerfile's WORKDIR); default `cwd`. */
  workdir?: string;
  /**
   * The input tree is the machine's own writable copy (`--writable-input`): bound read-write by
   * the sandbox and container drivers.
   */
  writableInput?: boolean;
  /** Sandbox: host paths bound read-write (`--bind`) and read-only (`--ro-bind`) at their place. */
  binds?: { path: string; writable: boolean }[];
  /**
   * An id the caller chose (and recorded) before the launch, to find the machine again after a
   * crash of berth (orphans.ts): the process driver's BERTH_RUN_ID, the container driver's name
   * `berth-run-<runId>`. Default: a fresh one. See {@link isRunId}.
   */
  runId?: string;
}

/** A started machine. */
export interface Launched {
  child: ChildProcess;
  /** The process group to signal (the child leads its own group). */
  pgid: number | undefined;
  /** Settings the driver could not honour, in words. */
  notices: string[];
  /** Stops it: SIGTERM to the group, SIGKILL after `graceMs`. Resolves when signalled. */
  stop(graceMs: number): Promise<void>;
  /**
   * Cleans up after exit (container removal, processes the machine left behind …); may return
   * notices for the report (what it stopped, what it could not).
   */
  cleanup(): Promise<string[] | void>;
  /**
   * Host pids of the machine's processes right now, for drivers whose machine leaves `pgid`
   * (bwrap's `--new-session`, a container's own PID namespace). Absent: sample the group.
   */
  processes?(): Promise<number[]>;
}

/** A way to run a machine: as a process, in a bubblewrap sandbox, or in a container. */
export interface Driver {
  readonly name: 'process' | 'sandbox' | 'container';
  /**
   * True when the machine gets the input tree read-only and the driver changes none of its
   * entries (no chmod, no chown): the run may then lay DICOM instances out as hard links to their
   * source (the spool of `berth listen`), for nothing the machine does can reach the source.
   */
  readonly inputReadOnly?: boolean;
  /** Why this driver cannot run here (missing tool), or undefined when it can. */
  unavailable(spec: Pick<LaunchSpec, 'engine'>): Promise<string | undefined>;
  launch(spec: LaunchSpec): Promise<Launched>;
}
