/**
 * The EIR stream server: the EIR streaming data protocol 1.0 over any {@link EirSampleSource}.
 * See notes/wire-formats.md PART A for the protocol as EIR 0.23.0 speaks it.
 */
export * from './protocol.js';
export { parseClientMessage, type ParseOptions, type ParseResult } from './protocol-parse.js';
export {
  base64ByteLength,
  checkDatasetInfo,
  checkSampleIds,
  checkSampleValues,
  shapeSize,
  toWireSample,
} from './protocol-checks.js';
export { EirStream } from './state.js';
export type { EirClaim, EirStatus, EirStreamOptions } from './state.js';
export { startEirServer } from './server.js';
export type { EirServer, EirServerOptions } from './server.js';
export {
  caseDataset,
  inspectCaseDataset,
  EirDatasetError,
  CASE_OUTPUT_DIRS,
  DEFAULT_SURVIVAL_COLUMNS,
} from './dataset.js';
export type { CaseDataset, CaseDatasetOptions, CaseEntry, SurvivalColumns } from './dataset.js';
export { planEirFields, EIR_IMAGE_MIME_TYPES } from './mapping.js';
export type { EirField, EirPlan, EirPlanOptions, EirImageMime } from './mapping.js';
