import { open } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, toBerthError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue, type ManifestSource } from './document.js';
import { manifestFromDockerfile } from './dockerfile.js';
import { manifestFromInspect } from './inspect.js';
import { splitLines } from './manifest.js';
import { parseYamlText } from './yaml-text.js';

/** Manifests (and Dockerfiles) larger than this are refused before parsing. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * Loads a manifest from a file: `machine.yaml`/`.yml`, `machine.json`, a Dockerfile (its
 * `com.envoyai.*` LABELs) or the JSON printed by `docker inspect` / `podman inspect`.
 * The kind of file is told by its name first, then by its content.
 */
export async function loadManifestFile(file: string): Promise<ManifestSource> {
  const text = await readManifestText(file);
  return loadManifestText(text, file);
}

/** Loads a manifest from text already read; `file` names it in findings and picks the format. */
export function loadManifestText(text: string, file: string): ManifestSource {
  if (text.trim().length === 0) {
    throw new BerthError('BERTH_E_EMPTY', 'The manifest file is empty', {
      path: file,
      expected: 'a YAML or JSON manifest, a Dockerfile with com.envoyai.* LABELs, or docker inspect JSON',
    });
  }
  const format = detectFormat(text, file);
  let source: ManifestSource;
  if (format === 'dockerfile') source = manifestFromDockerfile(text, file);
  else if (format === 'inspect') source = manifestFromInspect(text, file);
  else if (format === 'json') source = fromJson(text, file);
  else source = fromYaml(text, file);
  return { ...source, document: normaliseDocument(source.document) };
}

/** Reads a text file with a size limit and strict UTF-8 decoding. */
export async function readManifestText(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    if (size > MAX_MANIFEST_BYTES) {
      throw new BerthError('BERTH_E_TOO_LARGE', `The manifest is ${size} bytes`, {
        path: file,
        expected: `at most ${MAX_MANIFEST_BYTES} bytes`,
      });
    }
    const buf = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buf, 0, size, 0);
    return decodeUtf8(buf.subarray(0, bytesRead), file);
  } catch (e) {
    throw toBerthError(e, 'BERTH_E_IO', { path: file });
  } finally {
    await handle?.close();
  }
}

/** Decodes UTF-8 strictly (a BOM is dropped), refusing invalid bytes with the byte offset. */
export function decodeUtf8(buf: Uint8Array, file: string): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
    return text;
  } catch {
    let offset = 0;
    // Find the first offending byte for the message; decoding is only repeated on failure.
    for (let lo = 0, hi = buf.length; lo < hi;) {
      const mid = (lo + hi) >>> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, mid));
        lo = mid + 1;
        offset = mid;
      } catch {
        hi = mid;
      }
    }
    throw new BerthError('BERTH_E_NOT_UTF8', `The file is not valid UTF-8 near byte ${offset}`, {
      path: file,
      expected: 'UTF-8 text',
    });
  }
}

type TextFormat = 'yaml' | 'json' | 'dockerfile' | 'inspect';

function detectFormat(text: string, file: string): TextFormat {
  const base = path.basename(file).toLowerCase();
  if (/(^|\.)(dockerfile|containerfile)$/.test(base) || /^(dockerfile|containerfile)(\.|$)/.test(base)) {
    return 'dockerfile';
  }
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (base.endsWith('.json') || head.startsWith('{') || head.startsWith('[')) {
    return looksLikeInspect(head) ? 'inspect' : 'json';
  }
  if (base.endsWith('.yaml') || base.endsWith('.yml')) return 'yaml';
  // A Dockerfile starts with a parser directive, a comment, ARG or FROM.
  const firstInstruction = head
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith('#'));
  if (firstInstruction && /^(FROM|ARG)\s/i.test(firstInstruction)) return 'dockerfile';
  return 'yaml';
}

function looksLikeInspect(head: string): boolean {
  return /^\[\s*\{/.test(head) || /"(Config|Labels|RepoTags|Architecture)"\s*:/.test(head.slice(0, 65536));
}

function fromJson(text: string, file: string): ManifestSource {
  try {
    JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    if (e instanceof RangeError) {
      throw new BerthError('BERTH_E_TOO_DEEP', 'The JSON is nested too deeply', { path: file });
    }
    throw new BerthError('BERTH_E_JSON_SYNTAX', `The text is not valid JSON: ${(e as Error).message}`, {
      path: file,
      expected: 'a JSON object',
    });
  }
  // Valid JSON is valid YAML: the YAML reader adds depth limits and line numbers.
  const parsed = parseYamlText(text.replace(/^\uFEFF/, ''), { path: file });
  return { document: asObject(parsed.value, file), path: file, format: 'json', lineOf: parsed.lineOf };
}

function fromYaml(text: string, file: string): ManifestSource {
  const parsed = parseYamlText(text.replace(/^\uFEFF/, ''), { path: file });
  return { document: asObject(parsed.value, file), path: file, format: 'yaml', lineOf: parsed.lineOf };
}

function asObject(value: JsonValue, file: string): JsonObject {
  if (!isJsonObject(value)) {
    throw new BerthError('BERTH_E_MANIFEST_NOT_OBJECT', undefined, {
      path: file,
      expected: 'a mapping of label names (metadata-version, info, schema-in, schema-out, …) to values',
    });
  }
  return value;
}

/**
 * Puts a document in its one canonical form, so manifests loaded from YAML, JSON, a Dockerfile
 * or inspect JSON compare equal: `dicom-tags` as a list of keywords.
 */
export function normaliseDocument(doc: JsonObject): JsonObject {
  const tags = doc['dicom-tags'];
  if (typeof tags === 'string') return { ...doc, 'dicom-tags': splitLines(tags) };
  return doc;
}
