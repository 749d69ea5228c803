import { randomUUID } from 'node:crypto';

/** The request header a client names its own run id with (and the response header echoing it). */
export const RUN_ID_HEADER = 'X-Berth-Run-Id';

/**
 * What a run id may be: 1–128 letters, digits, `.`, `_`, `:`, `-`, starting with a letter or a
 * digit — enough for UUIDs, ULIDs and job names, and nothing that needs escaping in a URL path.
 */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** True when the text is a usable run id. */
export function isRunId(text: string): boolean {
  return RUN_ID_PATTERN.test(text);
}

/** A fresh run id for a request that brought none. */
export function newRunId(): string {
  return randomUUID();
}
