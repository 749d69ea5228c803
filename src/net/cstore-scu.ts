/**
 * Sends a run's DICOM outputs to a DICOM node by C-STORE, on dcmjs-dimse's Client, in one
 * association. The Client re-encodes through dcmjs (fine for berth's own outputs, never used to
 * forward inputs: notes/dicom-network.md, trap 4) and does not set TCP no-delay on its socket,
 * which makes every exchange wait for delayed ACKs (361 files: 23–30 s instead of 12 s, trap 5):
 * its socket is made with no-delay by wrapping `net.connect` during the (synchronous) call that
 * opens it.
 */
import net from 'node:net';
import dimse from 'dcmjs-dimse';
import { BerthError } from '../errors.js';

const { Client, requests, constants, log } = dimse;
log.setLevel('silent');

/** Bounds of one delivery: connection and each PDU (default 10 s and 30 s). */
export interface ScuTimeouts {
  connectMs?: number;
  pduMs?: number;
}

/** Where to send, and as whom. */
export interface ScuTarget {
  host: string;
  port: number;
  calledAet: string;
  callingAet: string;
}

/** Opens a client's connection with no-delay: `send` calls `net.connect` synchronously. */
function sendWithNoDelay(start: () => void): void {
  const original = net.connect;
  const patched = ((...args: Parameters<typeof net.connect>) => {
    const socket = original(...args);
    socket.setNoDelay(true);
    return socket;
  }) as typeof net.connect;
  net.connect = patched;
  try {
    start();
  } finally {
    net.connect = original;
  }
}

function failed(target: ScuTarget, why: string): BerthError {
  return new BerthError(
    'BERTH_E_LISTEN_DELIVERY',
    `C-STORE to ${target.calledAet}@${target.host}:${target.port} failed: ${why}`,
  );
}

/**
 * Sends `files` (Part 10) in one association; resolves when every one was stored (status
 * success or a warning), rejects with BERTH_E_LISTEN_DELIVERY otherwise.
 */
export function cStoreFiles(
  target: ScuTarget,
  files: readonly string[],
  timeouts: ScuTimeouts = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (files.length === 0) return resolve();
    const client = new Client();
    const problems: string[] = [];
    let stored = 0;
    for (const file of files) {
      const request = new requests.CStoreRequest(file);
      request.on('response', (response: { getStatus(): number }) => {
        const status = response.getStatus();
        // Success, or one of the warning statuses (coercion, elements discarded): stored.
        if (status === constants.Status.Success || (status & 0xf000) === 0xb000) stored++;
        else problems.push(`status 0x${status.toString(16).padStart(4, '0')} for ${file}`);
      });
      client.addRequest(request);
    }
    let settled = false;
    const settle = (error?: string): void => {
      if (settled) return;
      settled = true;
      if (error) reject(failed(target, error));
      else if (problems.length > 0) reject(failed(target, problems[0]!));
      else if (stored < files.length)
        reject(failed(target, `${files.length - stored} of ${files.length} not acknowledged`));
      else resolve();
    };
    client.on('associationRejected', () => settle('the association was rejected'));
    client.on('networkError', (e: Error) => settle(e.message || 'network error'));
    client.on('closed', () => settle());
    sendWithNoDelay(() =>
      client.send(target.host, target.port, target.callingAet, target.calledAet, {
        connectTimeout: timeouts.connectMs ?? 10_000,
        associationTimeout: timeouts.pduMs ?? 30_000,
        pduTimeout: timeouts.pduMs ?? 30_000,
      }),
    );
  });
}
