/**
 * Orthanc (Debian's, a test peer only: GPL) and the network namespace it must run in: Orthanc
 * 1.10 binds every interface and has no setting against it, so a test runs it — and everything
 * that talks to it — inside a namespace of its own with only a loopback (notes/dicom-network.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Peer } from './peers.js';
import { runTool, type ToolResult } from './dicom-net.js';
import { until } from './listen.js';

export const ORTHANC = '/usr/sbin/Orthanc';
export const ORTHANC_PLUGINS = [
  '/usr/share/orthanc/plugins/libOrthancDicomWeb.so',
  '/usr/share/orthanc/plugins/libOrthancGdcm.so',
];

/** Orthanc with its DICOMweb and GDCM plugins, and root to make a network namespace. */
export const ORTHANC_PEER: Peer = {
  name: 'Orthanc + orthanc-dicomweb + orthanc-gdcm, unshare/nsenter as root',
  packages: ['orthanc', 'orthanc-dicomweb', 'orthanc-gdcm', 'util-linux', 'iproute2', 'curl'],
  probe: async () => {
    if (process.getuid?.() !== 0) return false;
    for (const f of [ORTHANC, ...ORTHANC_PLUGINS, '/usr/bin/nsenter', '/usr/bin/unshare', '/usr/bin/curl']) {
      await access(f);
    }
    return true;
  },
};

/** A network namespace with its loopback up, kept alive by a holder process (stopped by pid). */
export interface NetNs {
  /** Prefix that runs a program inside the namespace. */
  readonly wrap: readonly string[];
  /** Runs a program inside the namespace to its end (killed after `timeoutMs`). */
  run(file: string, args: readonly string[], timeoutMs?: number): Promise<ToolResult>;
  /** Starts a program inside the namespace; the caller stops it by pid. */
  start(file: string, args: readonly string[]): ChildProcess;
  stop(): void;
}

/** Makes a namespace; its holder exits by itself after `lifetimeS` at the latest. */
export async function makeNetNs(lifetimeS = 300): Promise<NetNs> {
  const holder = spawn(
    '/usr/bin/unshare',
    ['-n', '/bin/sh', '-c', `ip link set lo up && exec sleep ${lifetimeS}`],
    {
      stdio: 'ignore',
    },
  );
  const pid = holder.pid!;
  const wrap = ['/usr/bin/nsenter', `--net=/proc/${pid}/ns/net`, '--'];
  // The loopback is up once `ip` in the namespace sees it so.
  await until(
    async () =>
      (await runTool(wrap[0]!, [...wrap.slice(1), 'ip', 'link', 'show', 'lo'], 5000)).stdout.includes('UP'),
    'the namespace loopback',
    10_000,
  );
  return {
    wrap,
    run: (file, args, timeoutMs = 30_000) => runTool(wrap[0]!, [...wrap.slice(1), file, ...args], timeoutMs),
    start: (file, args) =>
      spawn(wrap[0]!, [...wrap.slice(1), file, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TCP_NODELAY: '1' },
      }),
    stop: () => {
      if (holder.exitCode === null && holder.signalCode === null) process.kill(pid, 'SIGKILL');
    },
  };
}

/** A running Orthanc in a namespace. */
export interface OrthancPeer {
  readonly child: ChildProcess;
  readonly http: string;
  readonly dicomPort: number;
  readonly aet: string;
  /** curl inside the namespace: `curl -sS -f ARGS` → its result. */
  curl(args: readonly string[]): Promise<ToolResult>;
  stop(): void;
}

/**
 * Starts Orthanc in `ns` with its storage under `dir`, HTTP on 8042 and DICOM on 4242 (AE
 * ORTHANC), the given DICOM modalities; waits until its REST API answers.
 */
export async function startOrthanc(
  ns: NetNs,
  dir: string,
  modalities: Record<string, [string, string, number]> = {},
): Promise<OrthancPeer> {
  await mkdir(path.join(dir, 'storage'), { recursive: true });
  const config = path.join(dir, 'orthanc.json');
  await writeFile(
    config,
    JSON.stringify({
      Name: 'berth-test',
      StorageDirectory: path.join(dir, 'storage'),
      IndexDirectory: path.join(dir, 'storage'),
      HttpPort: 8042,
      DicomPort: 4242,
      DicomAet: 'ORTHANC',
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      DicomModalities: modalities,
      Plugins: ORTHANC_PLUGINS,
      DicomWeb: { Enable: true, Root: '/dicom-web/' },
      StableAge: 60,
    }),
  );
  const child = ns.start(ORTHANC, [config]);
  const curl = (args: readonly string[]) =>
    ns.run('/usr/bin/curl', ['-sS', '-f', '--max-time', '30', ...args]);
  const peer: OrthancPeer = {
    child,
    http: 'http://127.0.0.1:8042',
    dicomPort: 4242,
    aet: 'ORTHANC',
    curl,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
        process.kill(child.pid, 'SIGKILL');
    },
  };
  await until(
    async () => (await curl(['http://127.0.0.1:8042/system'])).code === 0,
    'Orthanc to answer',
    30_000,
  );
  return peer;
}
