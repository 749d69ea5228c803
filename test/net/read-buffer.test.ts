import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { READ_BUFFER_BYTES, withReadBuffer } from '../../src/net/read-buffer.js';

/** A server whose accepted sockets read through withReadBuffer; every chunk is copied out. */
function serve(onSocket: (socket: net.Socket, chunks: Buffer[]) => void) {
  const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
    const chunks: Buffer[] = [];
    const socket = withReadBuffer(accepted, (chunk) => chunks.push(Buffer.from(chunk)));
    if (socket) onSocket(socket, chunks);
  });
  return new Promise<{ server: net.Server; port: number }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as net.AddressInfo).port }),
    ),
  );
}

describe('net/read-buffer', function () {
  this.timeout(20_000);

  it('hands over every byte of the connection in order, in reads larger than Node’s 64 KiB when they are there', async () => {
    const payload = randomBytes(8 * 1024 * 1024);
    let got: Buffer[] = [];
    const ended = new Promise<void>((resolve) => {
      void serve((socket, chunks) => {
        got = chunks;
        socket.on('end', () => {
          socket.end();
          resolve();
        });
      }).then(({ server, port }) => {
        const client = net.connect(port, '127.0.0.1', () => client.end(payload));
        client.on('close', () => server.close());
      });
    });
    await ended;
    expect(Buffer.concat(got).equals(payload)).to.equal(true);
    expect(Math.max(...got.map((c) => c.length))).to.be.above(64 * 1024);
    expect(Math.max(...got.map((c) => c.length))).to.be.at.most(READ_BUFFER_BYTES);
  });

  it('gives nothing, and closes what it was given, for a connection whose socket has no handle any more', () => {
    const accepted = new net.Socket();
    expect(withReadBuffer(accepted, () => undefined)).to.equal(undefined);
    expect(accepted.destroyed).to.equal(true);
  });

  it('gives a socket that writes back, closes, and lets the server close', async () => {
    const { server, port } = await serve((socket) => {
      socket.write('pong');
      socket.end();
    });
    const answer = await new Promise<string>((resolve, reject) => {
      const client = net.connect(port, '127.0.0.1');
      let text = '';
      client.on('data', (d: Buffer) => (text += d.toString()));
      client.on('end', () => resolve(text));
      client.on('error', reject);
    });
    expect(answer).to.equal('pong');
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
