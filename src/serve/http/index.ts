/** The HTTP gateway (`berth serve`): see the README, "HTTP gateway". */
export { startGateway } from './gateway.js';
export type { Gateway, GatewayOptions, RequestLogEntry } from './gateway.js';
export type { CaseCodec, EncodedDocument } from './codec.js';
export { wireCodec } from './wire-codec.js';
export { openApiDocument } from './openapi.js';
export type { OpenApiOptions } from './openapi.js';
export { propertySchema, sideSchema } from './json-schema.js';
export { HttpError, OUTCOME_STATUS } from './http-error.js';
export type { ErrorBody } from './http-error.js';
export { RUN_ID_HEADER } from './run-id.js';
export type { LoggedEvent, RunEventName } from './run-log.js';
