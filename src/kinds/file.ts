import { realpath, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BerthError, toBerthError } from '../errors.js';
import { copyFileAtomic, writeFileAtomic } from '../tree/atomic.js';
import {
  FileHandle,
  MAGIC_PREFIX_BYTES,
  detectMimeType,
  readPrefix,
  recognisedMimeTypes,
} from './file-handle.js';
import type { KindDefinition, LeafIO, Property } from './kind.js';
import { reportKeyword, stringKeyword } from './keywords.js';
import { refusal, type ValueProblem } from './value.js';

/** A file's spec: its media type (lower case; `application/octet-stream` when none is declared). */
export interface FileSpec {
  readonly mimeType: string;
  /** False when the definition declares no media type (`mime-type` absent or unreadable). */
  readonly declared: boolean;
}

const OCTET_STREAM = 'application/octet-stream';

/** Media types compared by decoded pixels rather than by bytes. */
export const IMAGE_MIME_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/jpg']);

/** The declared media type of a `file` property (lower case), or undefined. */
export function mimeTypeOf(p: Property): string | undefined {
  if (p.kind !== 'file') return undefined;
  const spec = (p as Property<FileSpec>).spec;
  return spec.declared ? spec.mimeType : undefined;
}

/** A media type: `type/subtype` of RFC 6838 token characters, without parameters. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/** Other names in use for the same media type. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'application/x-pdf': 'application/pdf',
  'image/x-png': 'image/png',
  'application/x-zip-compressed': 'application/zip',
};

function canonical(mime: string): string {
  const m = mime.toLowerCase();
  return ALIASES[m] ?? m;
}

/**
 * Does the content contradict the declared type? `application/octet-stream` accepts anything;
 * a type berth can recognise by magic bytes must be recognised as that type; `text/*` must hold
 * no NUL byte; any other type is taken on trust.
 */
export function mimeProblem(
  declared: string,
  detected: string | undefined,
  prefix: Uint8Array,
  recognised: ReadonlySet<string>,
): ValueProblem | undefined {
  const want = canonical(declared);
  if (want === 'application/octet-stream') return undefined;
  if (recognised.has(want)) {
    if (detected !== undefined && canonical(detected) === want) return undefined;
    return {
      code: 'BERTH_E_MIME_MISMATCH',
      message: detected
        ? `The content is ${detected}, not ${declared}`
        : `The content is not recognisable as ${declared}`,
      expected: `a ${declared} file`,
    };
  }
  if (want.startsWith('text/') && prefix.includes(0)) {
    return {
      code: 'BERTH_E_MIME_MISMATCH',
      message: `The content has NUL bytes, so it is not ${declared}`,
      expected: 'text',
    };
  }
  return undefined;
}

/** Detects the type of a file's first bytes and checks it against the declared type. */
export async function contentProblem(
  declared: string,
  prefix: Uint8Array,
): Promise<{ detected: string | undefined; problem: ValueProblem | undefined }> {
  const detected = await detectMimeType(prefix);
  return { detected, problem: mimeProblem(declared, detected, prefix, await recognisedMimeTypes()) };
}

/** What a file output may be written from. */
export type FileSource = Uint8Array | { path: string } | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;

function isPathSource(v: unknown): v is { path: string } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { path?: unknown }).path === 'string' &&
    !(v instanceof Readable)
  );
}

function isStreamSource(v: unknown): v is NodeJS.ReadableStream | AsyncIterable<Uint8Array> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}

/** Takes the first bytes of a stream to check them, then hands on the whole stream. */
async function peekStream(
  source: AsyncIterable<Uint8Array>,
): Promise<{ prefix: Buffer; all: AsyncIterable<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < MAGIC_PREFIX_BYTES) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(r.value);
    head.push(chunk);
    length += chunk.length;
  }
  const prefix = Buffer.concat(head);
  async function* all(): AsyncGenerator<Uint8Array> {
    yield* head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { prefix: prefix.subarray(0, MAGIC_PREFIX_BYTES), all: all() };
}

const fileIO: LeafIO<FileHandle, FileSpec> = {
  accepts: 'a Buffer or Uint8Array, {path} of a file to copy, or a readable stream',
  async check(path, _size, p) {
    const prefix = await readPrefix(path, MAGIC_PREFIX_BYTES);
    const { problem } = await contentProblem(p.spec.mimeType, prefix);
    return problem ? [problem] : [];
  },
  async read(path, p) {
    const declared = p.spec.mimeType;
    try {
      const [{ size }, prefix] = await Promise.all([stat(path), readPrefix(path, MAGIC_PREFIX_BYTES)]);
      const { detected, problem } = await contentProblem(declared, prefix);
      if (problem) throw refusal(problem, p, path);
      return new FileHandle(path, size, detected, declared);
    } catch (e) {
      throw toBerthError(e, 'BERTH_E_IO', { path, property: p.path });
    }
  },
  async write(path, value, p) {
    const declared = p.spec.mimeType;
    const check = async (prefix: Uint8Array) => {
      const { problem } = await contentProblem(declared, prefix);
      if (problem) throw refusal(problem, p, path);
    };
    if (value instanceof Uint8Array) {
      await check(value.subarray(0, MAGIC_PREFIX_BYTES));
      await writeFileAtomic(path, value);
    } else if (isPathSource(value)) {
      // The machine names its own file: a symlink it names is resolved (readers open no-follow).
      const source = await realpath(value.path).catch((e: unknown) => {
        throw toBerthError(e, 'BERTH_E_IO', { path: value.path });
      });
      await check(
        await readPrefix(source, MAGIC_PREFIX_BYTES).catch((e: unknown) => {
          throw toBerthError(e, 'BERTH_E_IO', { path: value.path });
        }),
      );
      await copyFileAtomic(source, path);
    } else if (isStreamSource(value)) {
      const { prefix, all } = await peekStream(value as AsyncIterable<Uint8Array>);
      await check(prefix);
      await writeFileAtomic(path, all);
    } else {
      throw new BerthError('BERTH_E_VALUE_TYPE', `A file property takes ${fileIO.accepts}`, {
        property: p.path,
      });
    }
  },
};

/** `mime-type: ...` — a file of that media type, named exactly as the property. */
export const fileKind: KindDefinition<'file', FileSpec> = {
  name: 'file',
  recognisedBy: 'mime-type',
  recognise: (def) => 'mime-type' in def,
  keywords: {
    'mime-type': {
      type: 'string',
      examples: ['image/png', 'image/jpeg', 'application/pdf', 'application/octet-stream'],
    },
  },
  define(def, ctx) {
    const mimeType = stringKeyword(def, 'mime-type', ctx);
    if (mimeType === undefined) return { spec: { mimeType: OCTET_STREAM, declared: false } };
    if (!MEDIA_TYPE.test(mimeType)) {
      reportKeyword(
        ctx,
        'BERTH_E_MIME_TYPE',
        'mime-type',
        `mime-type ${JSON.stringify(mimeType)} is not a media type`,
        'type/subtype, e.g. image/png',
      );
    }
    return { spec: { mimeType: mimeType.toLowerCase(), declared: true } };
  },
  label: (p) => (p.spec.declared ? p.spec.mimeType : 'file'),
  shape: 'file',
  storage: { form: 'leaf', leaf: fileIO },
  model: (p) => (p.spec.declared ? { type: 'media', mimeType: p.spec.mimeType } : { type: 'media' }),
  jsonSchema: (p, ctx) => ({
    ...ctx.described(p),
    ...ctx.bytes(p.spec.declared ? p.spec.mimeType : undefined),
  }),
  comparison: {
    accepts: ['hash', 'image', 'dice', 'presence'],
    // Pictures are compared by their decoded pixels (or their overlap, with a dice tolerance).
    defaultMethod(p, t) {
      if (t.dice !== undefined) return 'dice';
      return IMAGE_MIME_TYPES.has(p.spec.mimeType) ? 'image' : 'hash';
    },
  },
  typescript: (_p, t) => ({ read: t.berth('FileHandle'), write: t.berth('FileSource') }),
  async synth(p, ctx) {
    const { synthFile } = await import('./synth-files.js');
    return synthFile(p, p.spec.mimeType, ctx.rand, ctx.stream);
  },
  // A case gives a file as `{file: path}`, which the harness resolves before asking the kind.
  fromCase: (_value, _p, ctx) => {
    throw ctx.refuse('A file is given as {file: path}');
  },
  wire: {
    encode(value, _p, ctx) {
      const h = value as FileHandle;
      return ctx.bytes(() => h.read(), h.size);
    },
    async decode(value, p, ctx) {
      const bytes = ctx.bytes(value, `The file ${p.name}`);
      if (!bytes) return undefined;
      const { problem } = await contentProblem(p.spec.mimeType, bytes.subarray(0, MAGIC_PREFIX_BYTES));
      return problem ? ctx.problem(problem) : bytes;
    },
  },
};
