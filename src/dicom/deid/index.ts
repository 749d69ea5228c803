/**
 * De-identification (PS3.15 Annex E) and re-identification of DICOM, and the leak check: see the
 * README's "De-identification" section.
 */
export {
  Deidentifier,
  methodCodes,
  MIN_SECRET_BYTES,
  type DeidOptions,
  type DeidResult,
} from './deidentify.js';
export { reidentify, PATIENT_STUDY_TAGS, type ReidResult } from './restore.js';
export { scanForLeaks, scanFile, type LeakScanOptions } from './leak.js';
export { needlesOf, searchableParts, type PhiValue, type Needle } from './phi.js';
export { checkMap, mergeMaps, MAP_FORMAT, type DeidMap } from './map.js';
export { BURNED_IN_SOP_CLASSES } from './burned-in.js';
export { PROFILE_EDITION } from './table.js';
export { profileRow, ROWS, type ProfileOptions, type ProfileRow } from './actions.js';
export { pseudonymousUid, dateShiftDays, shiftDate, shiftDateTime } from './pseudonyms.js';
export type { RecordEntry, RecordAction } from './walk.js';
export {
  deidentifyFolder,
  reidentifyFolder,
  type DeidFolderReport,
  type ReidFolderReport,
} from './folder.js';
