/**
 * berth's public face (`berth`): what machine code imports — openMachine(), ndarray, errors, value
 * and handle types, the DICOM handles and writers. Tools that load manifests, check trees, scan or
 * transcode DICOM and generate types import `berth/tools` (src/tools.ts).
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
export type { JsonObject, JsonValue } from './manifest/document.js';
export { VERSION } from './version.js';
export { openMachine, manifestCandidates, type Machine, type MachineOptions } from './sdk/machine.js';
export { Inputs } from './sdk/inputs.js';
export { Outputs, ObjectWriter, ArrayWriter } from './sdk/outputs.js';
export { Status } from './sdk/status.js';
export { DicomImage, DicomInstance, DicomSeries, DicomStudy } from './sdk/dicom.js';
export { readVolume, MAX_VOLUME_VOXELS, type Volume, type VolumeOptions } from './sdk/volume.js';
export {
  modalityRescale,
  pixelSpacingOf,
  sliceNormal,
  sliceSpacingOf,
  toHounsfield,
  volumeGeometry,
  type Vec3,
  type VolumeGeometry,
} from './dicom/geometry.js';
export {
  DicomSeriesWriter,
  DicomStudyWriter,
  type DicomSource,
  type WrittenInstance,
} from './sdk/dicom-writer.js';
export type { NativePixels, EncapsulatedPixels, PixelArray } from './dicom/pixels.js';
export type { DicomHeader } from './dicom/scan.js';
export { FileHandle } from './kinds/file-handle.js';
export type { FileSource } from './kinds/file.js';
export { IsoDateTime } from './kinds/date-time.js';
export type { NdArray, NdArrayOf } from './ndarray/ndarray.js';
export { ndarray } from './ndarray/ndarray.js';
export type { DtypeName } from './ndarray/dtype.js';
