/**
 * The gateway's OpenAPI 3.1 document, generated from the manifest: the inputs document as the
 * request body, the outputs document inside the result, every error status with the one error
 * schema, the events stream, and the bearer scheme when a token is required.
 */
import type { MachineDefinition } from '../../check/manifest.js';
import { VERSION } from '../../version.js';
import { NUMPY_ARRAY_FIELD, sideSchema, type JsonSchema } from './json-schema.js';
import { RUN_ID_HEADER, RUN_ID_PATTERN } from './run-id.js';

/** What the document describes beyond the manifest. */
export interface OpenApiOptions {
  /** True when the gateway requires a bearer token. */
  auth: boolean;
  /** The server URL, when known. */
  url?: string;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});

/** The OpenAPI 3.1 document of a gateway serving this machine. */
export function openApiDocument(definition: MachineDefinition, options: OpenApiOptions): JsonSchema {
  const info = definition.settings.info;
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: info['title'] ?? definition.settings.name,
      version: info['release-version'] ?? '0.0.0',
      description:
        (info['abstract'] ? `${info['abstract']}\n\n` : '') +
        `Served by berth ${VERSION} (machine ${definition.settings.name}).`,
    },
    ...(options.url ? { servers: [{ url: options.url }] } : {}),
    paths: {
      '/invocations': {
        post: invocationOperation('invoke', 'Run the machine on one set of inputs', options),
      },
      '/predict': { post: invocationOperation('predict', 'The same as POST /invocations', options) },
      '/ping': { get: PING_OPERATION },
      '/openapi.json': { get: openApiOperation(options) },
      '/runs/{id}/events': { get: eventsOperation(options) },
    },
    components: {
      schemas: {
        Inputs: sideSchema(definition.inputs, 'Inputs (schema-in)'),
        Outputs: sideSchema(definition.outputs, 'Outputs (schema-out)'),
        NumpyArrayField: NUMPY_ARRAY_FIELD,
        InvocationResult: invocationResultSchema(),
        Finding: FINDING,
        Usage: USAGE,
        Error: ERROR,
      },
      ...(options.auth ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {}),
    },
  };
}

/** An operation's security (only when a token is required) and its 401 answer. */
function secured(options: OpenApiOptions): { security: JsonSchema; responses401: JsonSchema } {
  return options.auth
    ? {
        security: { security: [{ bearer: [] }] },
        responses401: { '401': errorResponse('No bearer token, or a wrong one') },
      }
    : { security: {}, responses401: {} };
}

/** POST /invocations and /predict. */
function invocationOperation(operationId: string, summary: string, options: OpenApiOptions): JsonSchema {
  const { security, responses401 } = secured(options);
  return {
    operationId,
    summary,
    parameters: [
      {
        name: RUN_ID_HEADER,
        in: 'header',
        required: false,
        description: 'Your own id for this run, to subscribe to /runs/{id}/events before posting.',
        schema: { type: 'string', pattern: RUN_ID_PATTERN.source },
      },
    ],
    ...security,
    requestBody: {
      required: true,
      description:
        'The inputs document (schema-in). As JSON, or as msgpack with Content-Type ' +
        'application/octet-stream (ndarrays as msgpack-numpy maps, files and DICOM as bin). ' +
        'The answer comes in the same format; errors are always JSON.',
      content: {
        'application/json': { schema: ref('Inputs') },
        'application/octet-stream': {
          schema: { type: 'string', contentMediaType: 'application/octet-stream' },
        },
      },
    },
    responses: {
      '200': {
        description: 'The machine ran and its outputs are valid',
        headers: { [RUN_ID_HEADER]: { schema: { type: 'string' } } },
        content: {
          'application/json': { schema: ref('InvocationResult') },
          'application/octet-stream': {
            schema: { type: 'string', contentMediaType: 'application/octet-stream' },
          },
        },
      },
      '400': errorResponse('The body is malformed or its inputs are invalid (outcome invalid-input)'),
      ...responses401,
      '409': errorResponse('The run id belongs to another run'),
      '413': errorResponse('The body is larger than the gateway accepts'),
      '415': errorResponse('The body is neither application/json nor application/octet-stream'),
      '422': errorResponse("The inputs do not meet the machine's constraints (outcome not-applicable)"),
      '429': errorResponse('Every run slot and queue place is taken; retry after Retry-After seconds'),
      '500': errorResponse('The machine failed: machine-error, invalid-output or killed'),
      '503': errorResponse('The gateway is shutting down'),
      '504': errorResponse('The machine ran past its timeout'),
    },
  };
}

const PING_OPERATION: JsonSchema = {
  operationId: 'ping',
  summary: 'Liveness (never needs a token)',
  security: [],
  responses: {
    '200': {
      description: 'The gateway is up',
      content: {
        'application/json': {
          schema: { type: 'object', properties: { ok: { const: true } }, required: ['ok'] },
        },
      },
    },
  },
};

function openApiOperation(options: OpenApiOptions): JsonSchema {
  const { security, responses401 } = secured(options);
  return {
    operationId: 'openapi',
    summary: 'This document',
    ...security,
    responses: {
      '200': { description: 'The OpenAPI document', content: { 'application/json': { schema: {} } } },
      ...responses401,
    },
  };
}

function eventsOperation(options: OpenApiOptions): JsonSchema {
  const { security, responses401 } = secured(options);
  return {
    operationId: 'runEvents',
    summary: "Server-sent events of a run's progress, from before it starts to its outcome",
    ...security,
    parameters: [
      {
        name: 'id',
        in: 'path',
        required: true,
        schema: { type: 'string', pattern: RUN_ID_PATTERN.source },
      },
      {
        name: 'Last-Event-ID',
        in: 'header',
        required: false,
        description: 'Resume after this event id',
        schema: { type: 'integer', minimum: 0 },
      },
    ],
    responses: {
      '200': {
        description: 'events: stage, status, outcome (terminal), expired (terminal), shutdown (terminal)',
        content: { 'text/event-stream': { schema: { type: 'string' } } },
      },
      '400': errorResponse('The run id is malformed'),
      ...responses401,
      '429': errorResponse('Too many run ids are waiting to be posted'),
    },
  };
}

const FINDING: JsonSchema = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    severity: { enum: ['error', 'warning'] },
    message: { type: 'string' },
    path: { type: 'string', description: 'input/… or output/…: where in the trees' },
    property: { type: 'string' },
    expected: { type: 'string' },
  },
  required: ['code', 'severity', 'message'],
};

const USAGE: JsonSchema = {
  type: ['object', 'null'],
  properties: {
    wallMs: { type: 'number' },
    cpuMs: { type: ['number', 'null'] },
    peakRssBytes: { type: ['number', 'null'] },
  },
};

const TIMING: JsonSchema = {
  type: 'object',
  description: 'Milliseconds spent queued, decoding the body, running, encoding the outputs, in all',
  properties: {
    queuedMs: { type: 'number' },
    decodeMs: { type: 'number' },
    runMs: { type: 'number' },
    encodeMs: { type: 'number' },
    totalMs: { type: 'number' },
  },
};

/** The run's details, shared by results and by the errors of runs that did not pass. */
const RUN_DETAILS: Record<string, JsonSchema> = {
  runId: { type: 'string' },
  outcome: {
    enum: [
      'passed',
      'failed-compare',
      'invalid-output',
      'machine-error',
      'timeout',
      'killed',
      'not-applicable',
      'invalid-input',
    ],
  },
  exitCode: { type: 'integer' },
  reason: { type: 'string' },
  findings: { type: 'array', items: ref('Finding') },
  warnings: { type: 'array', items: { type: 'string' } },
  usage: ref('Usage'),
  timing: TIMING,
};

function invocationResultSchema(): JsonSchema {
  return {
    type: 'object',
    properties: { outputs: ref('Outputs'), ...RUN_DETAILS },
    required: ['outputs', 'outcome', 'exitCode', 'reason', 'findings', 'runId', 'usage'],
  };
}

const ERROR: JsonSchema = {
  type: 'object',
  description: 'Every error, for JSON and msgpack requests alike. Runs that did not pass add their details.',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'A stable berth code (BERTH_E_…)' },
        message: { type: 'string' },
        path: { type: 'string', description: 'Where in the request document' },
      },
      required: ['code', 'message'],
    },
    ...RUN_DETAILS,
  },
  required: ['error'],
};
