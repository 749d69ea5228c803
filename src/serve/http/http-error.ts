/**
 * Errors as the gateway answers them: always JSON (also to msgpack requests, unlike what binary
 * clients might hope — Truss PR #316 showed that a msgpack error body only moves the confusion),
 * `{error: {code, message, path?}}` with the status the table in the README, "HTTP gateway" gives.
 */
import type { FastifyError } from 'fastify';
import { boundedText, httpStatusOf, isBerthError, summaryOf, type Code } from '../../errors.js';
import type { Outcome } from '../../harness/outcome.js';
import { ACCEPTED_MEDIA_TYPES } from './media-type.js';

/** The JSON body of every error answer (plus, for runs, the run's details beside `error`). */
export interface ErrorBody {
  error: {
    code: Code;
    message: string;
    /** Where in the request document (e.g. `threshold-hu`, `measurements/0/slice`), when known. */
    path?: string;
  };
  [extra: string]: unknown;
}

/** An error the gateway answers with: its status, its code, and what to tell the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: Code,
    message?: string,
    readonly path?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? summaryOf(code));
    this.name = 'HttpError';
  }

  /** The error for a code, with the status its catalogue entry gives (src/errors.ts). */
  static of(code: Code, message?: string, path?: string, headers?: Record<string, string>): HttpError {
    return new HttpError(httpStatusOf(code), code, message, path, headers);
  }

  /** The JSON body of this error. */
  body(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.path === undefined ? {} : { path: this.path }),
      },
    };
  }
}

/** The error code of an outcome that is not a success and has no finding of its own to name. */
export const OUTCOME_CODE: Record<Exclude<Outcome, 'passed'>, Code> = {
  'failed-compare': 'BERTH_E_HTTP_INVALID_OUTPUT',
  'invalid-output': 'BERTH_E_HTTP_INVALID_OUTPUT',
  'machine-error': 'BERTH_E_HTTP_MACHINE_ERROR',
  timeout: 'BERTH_E_HTTP_TIMEOUT',
  killed: 'BERTH_E_HTTP_KILLED',
  'not-applicable': 'BERTH_E_HTTP_NOT_APPLICABLE',
  'invalid-input': 'BERTH_E_HTTP_INVALID_INPUT',
};

/**
 * The HTTP status of each outcome: 200 for `passed`, the only success, else its code's (src/errors.ts).
 * `failed-compare` cannot happen (a request carries no expected outputs, so nothing is compared);
 * were it to, it is the server's fault, 500. Machine faults are 500 (the request was fine, the
 * machine was not), except the timeout: 504, the gateway gave up waiting on its upstream.
 */
export const OUTCOME_STATUS: Record<Outcome, number> = {
  passed: 200,
  ...(Object.fromEntries(
    Object.entries(OUTCOME_CODE).map(([outcome, code]) => [outcome, httpStatusOf(code)]),
  ) as Record<Exclude<Outcome, 'passed'>, number>),
};

/** How server paths are kept out of what a client is told. */
export interface Scrubber {
  /** The text with every server path replaced by a path relative to the request's trees. */
  text(text: string): string;
  /** A path inside the input tree as a document path (`ct/1.2.3.dcm`); undefined outside it. */
  relative(file: string): string | undefined;
}

/**
 * An HttpError for anything thrown while decoding a request: typed errors keep their code (with
 * server paths taken out of the message) and get its status (src/errors.ts): a constraint the
 * DICOM does not meet is 422 (as the run would say `not-applicable`), a value larger than berth
 * takes (or a document creating more entries) 413, the server's own failures 500, and everything
 * else the client sent 400. Anything else is an internal error (500), never a 400.
 * `path` is a JSON pointer into the request document (`/threshold-hu`, `` for the document).
 */
export function decodeError(e: unknown, scrub: Scrubber): HttpError {
  if (e instanceof HttpError) return e;
  if (isBerthError(e)) {
    return new HttpError(httpStatusOf(e.code), e.code, scrub.text(e.message), pointerOf(e, scrub));
  }
  return HttpError.of('BERTH_E_INTERNAL', `${summaryOf('BERTH_E_INTERNAL')}: ${scrub.text(boundedText(e))}`);
}

/**
 * The JSON pointer a typed error or finding names: the wire decoders already give one as `path`;
 * a file in the input tree becomes one (`<input>/ct/1.dcm` → `/ct/1.dcm`); else the schema path.
 */
export function pointerOf(e: { path?: string; property?: string }, scrub: Scrubber): string | undefined {
  if (e.path !== undefined) {
    const rel = scrub.relative(e.path);
    if (rel !== undefined) return `/${rel}`;
    if (e.path === '' || (e.path.startsWith('/') && scrub.text(e.path) === e.path)) return e.path;
  }
  const side = e.property?.replace(/^schema-(in|out)\//, '');
  return side === undefined ? undefined : `/${side}`;
}

/** The HttpError for anything that reached the error handler (fastify's own errors included). */
export function fromFastifyError(error: FastifyError | HttpError, maxBody: number): HttpError {
  if (error instanceof HttpError) return error;
  const code = (error as FastifyError).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || (error as FastifyError).statusCode === 413) {
    return HttpError.of('BERTH_E_HTTP_TOO_LARGE', `The body is larger than ${maxBody} bytes`);
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return HttpError.of('BERTH_E_HTTP_MEDIA_TYPE', `The body must be ${ACCEPTED_MEDIA_TYPES}`);
  }
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new HttpError(status, 'BERTH_E_HTTP_BAD_REQUEST', boundedText(error));
  }
  return HttpError.of('BERTH_E_INTERNAL', `berth failed unexpectedly: ${boundedText(error)}`);
}

/**
 * The raw HTTP answer to a request Node's parser refused before fastify saw it (malformed HTTP,
 * headers too large, a request timeout), in berth's error format like every other answer. The
 * connection is closed after it.
 */
export function clientErrorResponse(error: { code?: string }): string {
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message =
    status === 431
      ? 'The request headers are larger than the gateway accepts'
      : status === 408
        ? 'The request was not received in time'
        : 'The request is not valid HTTP/1.1';
  const body = JSON.stringify(new HttpError(status, 'BERTH_E_HTTP_BAD_REQUEST', message).body());
  const reason =
    status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
