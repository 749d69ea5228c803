/**
 * An accepted connection that reads into one buffer of its own, up to {@link READ_BUFFER_BYTES} at a
 * time. Node reads a server's sockets 64 KiB at a time into a new buffer each: for a 150 MB study,
 * 2,400 reads, each a JavaScript callback and a garbage buffer. A client socket can be given a read
 * buffer (`onread`), a server's cannot, so the accepted socket's handle goes to a new `Socket` made
 * with one — the `handle` option Node itself uses when it passes sockets between processes. The
 * server must be created with `pauseOnConnect` (nothing is read before the handle moves).
 *
 * The buffer is reused by the next read: what `onChunk` is given is valid only during the call; a
 * reader keeps nothing of it without copying.
 */
import net from 'node:net';

/** The most one read takes: bench `listen` read 158 MB in 190 reads with it, in 3,500 without. */
export const READ_BUFFER_BYTES = 1024 * 1024;

/** What Node's `Socket` holds beyond its typings. */
interface SocketInternals {
  _handle: unknown;
}

/**
 * A socket on `accepted`'s connection that hands every read to `onChunk`; `accepted` is spent (its
 * object closed, the connection kept). Resumed: reading starts at once. Undefined (and `accepted`
 * destroyed) when the connection is already gone.
 */
export function withReadBuffer(
  accepted: net.Socket,
  onChunk: (chunk: Buffer) => void,
): net.Socket | undefined {
  const internals = accepted as unknown as SocketInternals;
  const handle = internals._handle;
  if (!handle) {
    accepted.destroy();
    return undefined;
  }
  // The accepted object lets go of the connection; destroying it then closes nothing but itself
  // (and ends the server's count of it: the caller counts connections).
  internals._handle = null;
  accepted.destroy();
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const socket = new net.Socket({
    handle,
    readable: true,
    writable: true,
    onread: { buffer, callback: (n: number) => void onChunk(buffer.subarray(0, n)) },
  } as net.SocketConstructorOpts);
  socket.resume();
  return socket;
}
