/**
 * berth's public face: what machine code and tools import.
 * @packageDocumentation
 */
export { BerthError, CATALOGUE, isBerthError, type Code, type Finding, type Severity } from './errors.js';
export type { JsonObject, JsonValue, ManifestSource, ManifestFormat } from './manifest/document.js';
export { loadManifestFile, loadManifestText } from './manifest/load.js';
export { settingsOf, type ManifestSettings, type MachineInfo } from './manifest/manifest.js';
export type {
  DicomConstraints,
  DicomDescription,
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
export {
  checkManifest,
  loadMachine,
  findProperty,
  type MachineDefinition,
  type ManifestCheck,
} from './check/manifest.js';
export { VERSION } from './version.js';
export { openMachine, manifestCandidates, type Machine, type MachineOptions } from './sdk/machine.js';
export { Inputs } from './sdk/inputs.js';
export { Outputs, ObjectWriter, ArrayWriter } from './sdk/outputs.js';
export { Status } from './sdk/status.js';
export { checkTree, type TreeCheckOptions } from './check/tree.js';
export {
  dicomTreeCheck,
  dicomFindingClass,
  isNotApplicable,
  type DicomCheckOptions,
  type DicomFindingClass,
} from './check/dicom.js';
export { DicomImage, DicomInstance, DicomSeries, DicomStudy } from './sdk/dicom.js';
export {
  DicomSeriesWriter,
  DicomStudyWriter,
  type DicomSource,
  type WrittenInstance,
} from './sdk/dicom-writer.js';
export type { NativePixels, EncapsulatedPixels, PixelArray } from './dicom/pixels.js';
export type { DicomHeader } from './dicom/scan.js';
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
export { FileHandle } from './kinds/file-handle.js';
export type { FileSource } from './kinds/file.js';
export { IsoDateTime } from './kinds/date-time.js';
export type { NdArray, NdArrayOf } from './ndarray/ndarray.js';
export { ndarray } from './ndarray/ndarray.js';
export type { DtypeName } from './ndarray/dtype.js';
