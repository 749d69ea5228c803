/**
 * berth's tooling face (`berth/tools`): what programs that inspect, check or prepare machines import
 * — manifest loading, checks, the kinds, type generation, DICOM scan/index/sort/transcode/derive and
 * the wire documents. Machine code imports `berth` (src/index.ts) instead.
 * @packageDocumentation
 */
export {
  BerthError,
  CATALOGUE,
  classOf,
  httpStatusOf,
  isBerthError,
  isNotApplicableCode,
  summaryOf,
  type Code,
  type CodeClass,
  type CodeEntry,
  type Finding,
  type Severity,
} from './errors.js';
export { VERSION } from './version.js';

// Manifests
export type { JsonObject, JsonValue, ManifestSource, ManifestFormat } from './manifest/document.js';
export { loadManifestFile, loadManifestText } from './manifest/load.js';
export { settingsOf, type ManifestSettings, type MachineInfo } from './manifest/manifest.js';
export { emitLabels, type EmitLabelsOptions } from './manifest/labels-emit.js';

// Kinds and type generation
export type {
  DicomConstraints,
  DicomDescription,
  KindDefinition,
  KindName,
  NdarrayDtypeName,
  Property,
  Side,
  TsType,
  TypeContext,
  ValueKeywords,
} from './kinds/property.js';
export { KINDS, kindOf } from './kinds/registry.js';
export { generateTypes, type GenerateTypesOptions, type TypesSchemas } from './kinds/typescript.js';

// Checks
export {
  checkManifest,
  loadMachine,
  findProperty,
  type MachineDefinition,
  type ManifestCheck,
} from './check/manifest.js';
export { checkTree, type TreeCheckOptions } from './check/tree.js';
export { dicomFindingClass, isNotApplicable, type DicomFindingClass } from './dicom/instance-rules.js';

// DICOM files and folders
export { scanHeader, scanHeaderSync, scanHeaderBytes, DicomHeader, type ScanOptions } from './dicom/scan.js';
export {
  indexFolder,
  sortSeries,
  type IndexOptions,
  type IndexIssue,
  type InstanceIndex,
  type SeriesEntry,
  type StudyEntry,
} from './dicom/index.js';
export { sortDicom, type SortOptions, type SortReport } from './dicom/sort.js';
export {
  transcodeFile,
  transcodeBytes,
  canTranscode,
  TRANSCODABLE_SYNTAXES,
  type TranscodeResult,
} from './dicom/transcode.js';
export {
  deriveSeries,
  deriveInstance,
  type DeriveOptions,
  type DerivedIds,
  type DerivedPixels,
  type DerivedSeries,
  type PixelSource,
} from './dicom/derive.js';

// Cases and output trees as wire documents
export {
  encodeTree,
  decodeTree,
  encodeTreeJson,
  decodeTreeJson,
  encodeTreeMsgpack,
  decodeTreeMsgpack,
  WireDecodeError,
  sniffWireFormat,
  wireFormatOfPath,
  pointerTo,
  WIRE_MEDIA_TYPE,
  type WireFormat,
  type EncodeTreeOptions,
  type DecodeTreeOptions,
} from './wire/case.js';

// De-identification (PS3.15 basic profile), re-identification and the leak check
export {
  Deidentifier,
  reidentify,
  scanForLeaks,
  checkMap,
  deidentifyFolder,
  reidentifyFolder,
  type DeidOptions,
  type DeidResult,
  type DeidMap,
  type PhiValue,
  type RecordEntry,
} from './dicom/deid/index.js';
