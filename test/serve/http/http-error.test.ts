import { expect } from 'chai';
import { BerthError } from '../../../src/errors.js';
import { decodeError, HttpError, OUTCOME_STATUS } from '../../../src/serve/http/http-error.js';

const noScrub = { text: (t: string) => t, relative: () => undefined };

describe('serve/http/http-error: statuses from the error catalogue', () => {
  it('answers each outcome with the status the README table gives', () => {
    expect(OUTCOME_STATUS).to.deep.equal({
      passed: 200,
      'failed-compare': 500,
      'invalid-output': 500,
      'machine-error': 500,
      timeout: 504,
      killed: 500,
      'not-applicable': 422,
      'invalid-input': 400,
    });
  });

  it('gives each gateway refusal the status of its code', () => {
    const statuses = {
      BERTH_E_HTTP_UNAUTHORIZED: 401,
      BERTH_E_HTTP_NOT_FOUND: 404,
      BERTH_E_HTTP_RUN_ID: 400,
      BERTH_E_HTTP_RUN_ID_IN_USE: 409,
      BERTH_E_HTTP_TOO_LARGE: 413,
      BERTH_E_HTTP_MEDIA_TYPE: 415,
      BERTH_E_HTTP_BUSY: 429,
      BERTH_E_HTTP_CLIENT_GONE: 499,
      BERTH_E_HTTP_SHUTTING_DOWN: 503,
      BERTH_E_HTTP_BAD_REQUEST: 400,
      BERTH_E_INTERNAL: 500,
    } as const;
    for (const [code, status] of Object.entries(statuses)) {
      const err = HttpError.of(code as keyof typeof statuses, 'm', undefined, { a: 'b' });
      expect([err.status, err.code, err.message, err.headers], code).to.deep.equal([
        status,
        code,
        'm',
        { a: 'b' },
      ]);
    }
  });

  it('answers a decode error 422 when not applicable, 413 when too large, 500 for the server, else 400', () => {
    const status = (code: ConstructorParameters<typeof BerthError>[0]): number =>
      decodeError(new BerthError(code), noScrub).status;
    expect(status('BERTH_E_DICOM_MODALITY')).to.equal(422);
    expect(status('BERTH_E_DICOM_STUDY_SERIES')).to.equal(422);
    expect(status('BERTH_E_TOO_LARGE')).to.equal(413);
    expect(status('BERTH_E_TOO_MANY_ENTRIES')).to.equal(413);
    expect(status('BERTH_E_IO')).to.equal(500);
    expect(status('BERTH_E_DRIVER_UNAVAILABLE')).to.equal(500);
    expect(status('BERTH_E_NO_COMMAND')).to.equal(500);
    expect(status('BERTH_E_JSON_SYNTAX')).to.equal(400);
    expect(status('BERTH_E_DICOM_PARSE')).to.equal(400);
    expect(status('BERTH_E_WIRE_MISSING')).to.equal(400);
    expect(decodeError(new Error('boom'), noScrub).status).to.equal(500);
  });
});
