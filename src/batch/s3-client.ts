/**
 * A small S3 client on `fetch`: PUT and GET of one object, signed with AWS Signature Version 4,
 * path-style (`<endpoint>/<bucket>/<key>`), so it works with AWS and S3-compatible stores alike
 * (MinIO, Ceph, s3rver). The AWS SDK is not used: its releases from January 2027 need Node 22.
 *
 * Settings from the environment: `BERTH_S3_ENDPOINT` or `AWS_ENDPOINT_URL` (default
 * `https://s3.<region>.amazonaws.com`), `AWS_REGION` (default `us-east-1`), `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (optional).
 */
import { createHash, createHmac } from 'node:crypto';
import { BerthError } from '../errors.js';

/** The most bytes berth reads back from one object (markers and batch files are small). */
export const MAX_S3_GET_BYTES = 64 * 1024 * 1024;

/** How long one request may take. */
export const S3_REQUEST_TIMEOUT_MS = 120_000;

/** Where the store is and who berth is to it. */
export interface S3Settings {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The settings of the environment (`env`: process.env unless given). */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) {
    throw new BerthError('BERTH_E_USAGE', 'An s3:// store needs credentials in the environment', {
      expected: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and BERTH_S3_ENDPOINT for a non-AWS store)',
    });
  }
  return {
    endpoint: (
      env['BERTH_S3_ENDPOINT'] ??
      env['AWS_ENDPOINT_URL'] ??
      `https://s3.${region}.amazonaws.com`
    ).replace(/\/+$/, ''),
    region,
    accessKeyId,
    secretAccessKey,
    ...(env['AWS_SESSION_TOKEN'] ? { sessionToken: env['AWS_SESSION_TOKEN'] } : {}),
  };
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding of one path segment, as SigV4 wants it. */
function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The signed headers of one request (SigV4, no query string); `extra` headers (lower-case) are signed too. */
export function signRequest(
  settings: S3Settings,
  method: string,
  url: URL,
  body: Buffer,
  now: Date,
  extra: Record<string, string> = {},
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256(body);
  const headers: Record<string, string> = {
    host: url.host,
    ...extra,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
    ...(settings.sessionToken ? { 'x-amz-security-token': settings.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const canonical = [
    method,
    url.pathname,
    '',
    ...names.map((n) => `${n}:${headers[n]!.trim()}`),
    '',
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${settings.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${settings.secretAccessKey}`, day);
  for (const part of [settings.region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  headers['authorization'] =
    `AWS4-HMAC-SHA256 Credential=${settings.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}

function s3Error(message: string, where: string): BerthError {
  return new BerthError('BERTH_E_S3', message, {
    path: where,
    expected: 'a reachable S3 store that accepts the request',
  });
}

/** PUT and GET of objects in one bucket. */
export class S3Client {
  constructor(
    readonly settings: S3Settings,
    readonly bucket: string,
  ) {}

  private url(key: string): URL {
    return new URL(
      `${this.settings.endpoint}/${encodeSegment(this.bucket)}/${key.split('/').map(encodeSegment).join('/')}`,
    );
  }

  private async request(
    method: 'GET' | 'PUT',
    key: string,
    body: Buffer = Buffer.alloc(0),
  ): Promise<Response> {
    const url = this.url(key);
    const headers = signRequest(this.settings, method, url, body, new Date());
    delete headers['host'];
    try {
      return await fetch(url, {
        method,
        headers,
        // Node's Buffers are never backed by a SharedArrayBuffer here (read from files or strings).
        ...(method === 'PUT' ? { body: body as Buffer<ArrayBuffer> } : {}),
        signal: AbortSignal.timeout(S3_REQUEST_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (e) {
      throw s3Error(
        `${method} s3://${this.bucket}/${key} failed: ${(e as Error).message}`,
        `s3://${this.bucket}/${key}`,
      );
    }
  }

  /** Writes one object whole (a PUT is atomic: readers see the old object or the new one). */
  async put(key: string, body: Buffer | string): Promise<void> {
    const res = await this.request('PUT', key, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
    await res.body?.cancel();
    if (!res.ok)
      throw s3Error(`PUT s3://${this.bucket}/${key}: HTTP ${res.status}`, `s3://${this.bucket}/${key}`);
  }

  /** Reads one object (at most {@link MAX_S3_GET_BYTES}), or undefined when it does not exist. */
  async get(key: string, maxBytes = MAX_S3_GET_BYTES): Promise<Buffer | undefined> {
    const res = await this.request('GET', key);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    const where = `s3://${this.bucket}/${key}`;
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw s3Error(`GET ${where}: HTTP ${res.status}`, where);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Uint8Array).byteLength;
      if (size > maxBytes) throw s3Error(`GET ${where}: larger than ${maxBytes} bytes`, where);
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks);
  }
}
