/**
 * A private Redis for queue tests: Debian's `redis-server` on 127.0.0.1, a free port, its own data
 * folder (no RDB snapshots, append-only file), in the foreground; stopped by its PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Peer } from './peers.js';
import { removeDir, tempDir } from './temp.js';

/** Debian's redis-server (package `redis-server`). */
export const REDIS_PEER: Peer = {
  name: 'redis-server',
  packages: ['redis-server'],
  probe: () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0,
};

/** A running Redis. */
export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A port nobody listens on now (the OS's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when Redis at `port` answers PING with PONG. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(text.startsWith('+PONG')));
    socket.on('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts Redis and waits (at most 10 s) until it answers. */
export async function startRedis(): Promise<TestRedis> {
  const dir = await tempDir('redis');
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'yes', '--dir', dir],
    { stdio: 'ignore' },
  );
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
      await exited(child);
    }
    await removeDir(dir);
  };
  for (let i = 0; i < 100; i++) {
    if (await pong(port)) return { url: `redis://127.0.0.1:${port}`, port, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
}
