/**
 * Which wire format a request body is in, from its `Content-Type` alone — as Truss decides it
 * since PR #2583: the media type before any `;` parameter, trimmed, compared without case. So
 * `application/json; charset=utf-8` is JSON and `Application/Octet-Stream; charset=binary` is
 * msgpack (Chains' binary mode). Nothing else is sniffed: a body with another or no media type
 * is refused (415) before it is read.
 */
import type { WireFormat } from '../../wire/case-format.js';

export type { WireFormat };

/** The media type each format is answered with. */
export const MEDIA_TYPE: Record<WireFormat, string> = {
  json: 'application/json; charset=utf-8',
  msgpack: 'application/octet-stream',
};

/** The media types accepted, in words, for 415 messages. */
export const ACCEPTED_MEDIA_TYPES = 'application/json or application/octet-stream (msgpack)';

/** The bare media type of a `Content-Type` header value: lower case, without parameters. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** The wire format a `Content-Type` header names, or undefined when it names neither. */
export function wireFormatOf(contentType: string | undefined): WireFormat | undefined {
  const media = mediaTypeOf(contentType);
  if (media === 'application/json') return 'json';
  if (media === 'application/octet-stream') return 'msgpack';
  return undefined;
}
