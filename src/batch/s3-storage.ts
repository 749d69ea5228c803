/**
 * A batch's results in an S3 bucket: `s3://bucket/prefix/<case-id>/…` with the completed marker
 * `s3://bucket/prefix/<case-id>/.complete`. A case is staged in a local temporary folder; its
 * commit uploads every regular file of it (links and other entries are skipped, never followed),
 * each with one PUT, and the marker last — so a case whose marker exists is whole, and a killed
 * upload leaves no marker (the case runs again and its objects are overwritten, same keys).
 * A commit that finds the case's marker uploads nothing (the first result stands); two deliveries
 * of one case whose uploads overlap in time can still mix their files (S3 has no rename): see
 * README, "Run on many machines".
 */
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BerthError } from '../errors.js';
import { readRegularFile } from '../tree/open-regular.js';
import { isRecordOf, type CaseRecord } from './job.js';
import { S3Client, s3SettingsFromEnv, type S3Settings } from './s3-client.js';
import { COMPLETE_MARKER, MAX_MARKER_BYTES, type Staging, type Storage } from './storage.js';

/** True for an `s3://` location. */
export function isS3Uri(uri: string): boolean {
  return uri.startsWith('s3://');
}

/** The bucket and key prefix (no trailing slash) of `s3://bucket[/prefix]`. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  const prefix = (m?.[2] ?? '').replace(/\/+$/, '');
  if (!m || prefix.split('/').some((s) => (s === '' && prefix !== '') || s === '.' || s === '..')) {
    throw new BerthError('BERTH_E_USAGE', `${uri} is not an S3 location berth can use`, {
      expected: 's3://bucket/prefix (a bucket name, then key segments without . or .. or empty ones)',
    });
  }
  return { bucket: m[1]!, prefix };
}

/** The canonical form of an S3 location: `s3://bucket[/prefix]`, no trailing slash. */
export function s3Location(uri: string): string {
  const { bucket, prefix } = parseS3Uri(uri);
  return `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
}

/** The most files one case uploads. */
export const MAX_CASE_FILES = 100_000;

/** The largest file one PUT uploads (read into memory whole; S3's own limit for a PUT is 5 GiB). */
export const MAX_PUT_BYTES = 1024 * 1024 * 1024;

/** Every regular file under `dir`, as paths relative to it with `/`. */
async function regularFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(path.join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const info = await lstat(path.join(dir, r));
      if (info.isDirectory()) await walk(r);
      else if (info.isFile()) {
        if (out.length >= MAX_CASE_FILES) {
          throw new BerthError('BERTH_E_TOO_LARGE', `${dir} holds more than ${MAX_CASE_FILES} files`, {
            path: dir,
            expected: `at most ${MAX_CASE_FILES} files a case`,
          });
        }
        out.push(r);
      }
    }
  };
  await walk('');
  return out;
}

/** Results under an S3 prefix. */
export class S3Storage implements Storage {
  readonly location: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(uri: string, settings: S3Settings = s3SettingsFromEnv()) {
    const { bucket, prefix } = parseS3Uri(uri);
    this.client = new S3Client(settings, bucket);
    this.prefix = prefix;
    this.location = s3Location(uri);
  }

  private key(...parts: string[]): string {
    return [...(this.prefix ? [this.prefix] : []), ...parts].join('/');
  }

  async completed(id: string): Promise<CaseRecord | undefined> {
    const body = await this.client.get(this.key(id, COMPLETE_MARKER), MAX_MARKER_BYTES);
    if (!body) return undefined;
    try {
      const value: unknown = JSON.parse(body.toString('utf8'));
      return isRecordOf(value, id) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  caseLocation(id: string): string {
    return `${this.location}/${id}`;
  }

  async stage(id: string): Promise<Staging> {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-s3-stage-'));
    const discard = (): Promise<void> => rm(dir, { recursive: true, force: true });
    return {
      dir,
      commit: async (record) => {
        try {
          // The first commit of a case wins: a re-delivered job that finds a marker uploads nothing.
          const earlier = await this.completed(id);
          if (earlier) return earlier;
          for (const rel of await regularFiles(dir)) {
            await this.client.put(
              this.key(id, rel),
              await readRegularFile(path.join(dir, rel), { maxBytes: MAX_PUT_BYTES }),
            );
          }
          await this.client.put(this.key(id, COMPLETE_MARKER), JSON.stringify(record, null, 2) + '\n');
          return record;
        } finally {
          await discard();
        }
      },
      discard,
    };
  }

  async writeBatchFile(name: string, data: string): Promise<void> {
    await this.client.put(this.key(name), data);
  }

  /** Nothing is staged in the bucket: an unfinished upload has no marker and is overwritten. */
  async sweep(): Promise<void> {}
}
