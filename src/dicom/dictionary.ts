/**
 * A small DICOM data dictionary: keyword ↔ tag ↔ VR for the attributes berth and machine code
 * commonly ask for (patient, study, series, equipment, frame of reference, image plane, image
 * pixel, CT/MR acquisition, VOI LUT, SOP common).
 *
 * Limit: this is not the full PS3.6 dictionary. A keyword missing here cannot be looked up by name;
 * look it up by tag instead (`(0018,0050)` or `00180050`). In implicit VR files the VR of a tag
 * missing here is unknown, so its value comes back as raw bytes (VR `UN`).
 */

/** A two-letter DICOM value representation. */
export type Vr =
  | 'AE'
  | 'AS'
  | 'AT'
  | 'CS'
  | 'DA'
  | 'DS'
  | 'DT'
  | 'FD'
  | 'FL'
  | 'IS'
  | 'LO'
  | 'LT'
  | 'OB'
  | 'OD'
  | 'OF'
  | 'OL'
  | 'OV'
  | 'OW'
  | 'PN'
  | 'SH'
  | 'SL'
  | 'SQ'
  | 'SS'
  | 'ST'
  | 'SV'
  | 'TM'
  | 'UC'
  | 'UI'
  | 'UL'
  | 'UN'
  | 'UR'
  | 'US'
  | 'UT'
  | 'UV';

/** One dictionary entry. */
export interface DictionaryEntry {
  readonly tag: number;
  readonly keyword: string;
  readonly vr: Vr;
}

// [tag, keyword, vr]; tags as numbers (group << 16 | element) so lookups never build strings.
const ENTRIES: readonly (readonly [number, string, Vr])[] = [
  [0x00020000, 'FileMetaInformationGroupLength', 'UL'],
  [0x00020001, 'FileMetaInformationVersion', 'OB'],
  [0x00020002, 'MediaStorageSOPClassUID', 'UI'],
  [0x00020003, 'MediaStorageSOPInstanceUID', 'UI'],
  [0x00020010, 'TransferSyntaxUID', 'UI'],
  [0x00020012, 'ImplementationClassUID', 'UI'],
  [0x00020013, 'ImplementationVersionName', 'SH'],
  [0x00020016, 'SourceApplicationEntityTitle', 'AE'],
  [0x00080005, 'SpecificCharacterSet', 'CS'],
  [0x00080008, 'ImageType', 'CS'],
  [0x00080012, 'InstanceCreationDate', 'DA'],
  [0x00080013, 'InstanceCreationTime', 'TM'],
  [0x00080016, 'SOPClassUID', 'UI'],
  [0x00080018, 'SOPInstanceUID', 'UI'],
  [0x00080020, 'StudyDate', 'DA'],
  [0x00080021, 'SeriesDate', 'DA'],
  [0x00080022, 'AcquisitionDate', 'DA'],
  [0x00080023, 'ContentDate', 'DA'],
  [0x00080030, 'StudyTime', 'TM'],
  [0x00080031, 'SeriesTime', 'TM'],
  [0x00080032, 'AcquisitionTime', 'TM'],
  [0x00080033, 'ContentTime', 'TM'],
  [0x00080050, 'AccessionNumber', 'SH'],
  [0x00080060, 'Modality', 'CS'],
  [0x00080064, 'ConversionType', 'CS'],
  [0x00080070, 'Manufacturer', 'LO'],
  [0x00080080, 'InstitutionName', 'LO'],
  [0x00080090, 'ReferringPhysicianName', 'PN'],
  [0x00081030, 'StudyDescription', 'LO'],
  [0x0008103e, 'SeriesDescription', 'LO'],
  [0x00081090, 'ManufacturerModelName', 'LO'],
  [0x00081140, 'ReferencedImageSequence', 'SQ'],
  [0x00081150, 'ReferencedSOPClassUID', 'UI'],
  [0x00081155, 'ReferencedSOPInstanceUID', 'UI'],
  [0x00100010, 'PatientName', 'PN'],
  [0x00100020, 'PatientID', 'LO'],
  [0x00100030, 'PatientBirthDate', 'DA'],
  [0x00100040, 'PatientSex', 'CS'],
  [0x00101010, 'PatientAge', 'AS'],
  [0x00101020, 'PatientSize', 'DS'],
  [0x00101030, 'PatientWeight', 'DS'],
  [0x00180015, 'BodyPartExamined', 'CS'],
  [0x00180020, 'ScanningSequence', 'CS'],
  [0x00180021, 'SequenceVariant', 'CS'],
  [0x00180022, 'ScanOptions', 'CS'],
  [0x00180023, 'MRAcquisitionType', 'CS'],
  [0x00180050, 'SliceThickness', 'DS'],
  [0x00180060, 'KVP', 'DS'],
  [0x00180080, 'RepetitionTime', 'DS'],
  [0x00180081, 'EchoTime', 'DS'],
  [0x00180087, 'MagneticFieldStrength', 'DS'],
  [0x00180088, 'SpacingBetweenSlices', 'DS'],
  [0x00180091, 'EchoTrainLength', 'IS'],
  [0x00181020, 'SoftwareVersions', 'LO'],
  [0x00181063, 'FrameTime', 'DS'],
  [0x00181030, 'ProtocolName', 'LO'],
  [0x00181150, 'ExposureTime', 'IS'],
  [0x00181151, 'XRayTubeCurrent', 'IS'],
  [0x00181210, 'ConvolutionKernel', 'SH'],
  [0x00185100, 'PatientPosition', 'CS'],
  [0x00185101, 'ViewPosition', 'CS'],
  [0x0020000d, 'StudyInstanceUID', 'UI'],
  [0x0020000e, 'SeriesInstanceUID', 'UI'],
  [0x00200010, 'StudyID', 'SH'],
  [0x00200011, 'SeriesNumber', 'IS'],
  [0x00200012, 'AcquisitionNumber', 'IS'],
  [0x00200013, 'InstanceNumber', 'IS'],
  [0x00200020, 'PatientOrientation', 'CS'],
  [0x00200032, 'ImagePositionPatient', 'DS'],
  [0x00200037, 'ImageOrientationPatient', 'DS'],
  [0x00200052, 'FrameOfReferenceUID', 'UI'],
  [0x00200060, 'Laterality', 'CS'],
  [0x00201040, 'PositionReferenceIndicator', 'LO'],
  [0x00201041, 'SliceLocation', 'DS'],
  [0x00201208, 'NumberOfStudyRelatedInstances', 'IS'],
  [0x00201209, 'NumberOfSeriesRelatedInstances', 'IS'],
  [0x00280002, 'SamplesPerPixel', 'US'],
  [0x00280004, 'PhotometricInterpretation', 'CS'],
  [0x00280006, 'PlanarConfiguration', 'US'],
  [0x00280008, 'NumberOfFrames', 'IS'],
  [0x00280009, 'FrameIncrementPointer', 'AT'],
  [0x00280010, 'Rows', 'US'],
  [0x00280011, 'Columns', 'US'],
  [0x00280030, 'PixelSpacing', 'DS'],
  [0x00280034, 'PixelAspectRatio', 'IS'],
  [0x00280100, 'BitsAllocated', 'US'],
  [0x00280101, 'BitsStored', 'US'],
  [0x00280102, 'HighBit', 'US'],
  [0x00280103, 'PixelRepresentation', 'US'],
  [0x00280120, 'PixelPaddingValue', 'US'],
  [0x00280301, 'BurnedInAnnotation', 'CS'],
  [0x00281050, 'WindowCenter', 'DS'],
  [0x00281051, 'WindowWidth', 'DS'],
  [0x00281052, 'RescaleIntercept', 'DS'],
  [0x00281053, 'RescaleSlope', 'DS'],
  [0x00281054, 'RescaleType', 'LO'],
  [0x00282110, 'LossyImageCompression', 'CS'],
  [0x00321060, 'RequestedProcedureDescription', 'LO'],
  [0x00400244, 'PerformedProcedureStepStartDate', 'DA'],
  [0x00400254, 'PerformedProcedureStepDescription', 'LO'],
  [0x7fe00001, 'ExtendedOffsetTable', 'OV'],
  [0x7fe00010, 'PixelData', 'OW'],
];

const BY_TAG = new Map<number, DictionaryEntry>();
const BY_KEYWORD = new Map<string, DictionaryEntry>();
for (const [tag, keyword, vr] of ENTRIES) {
  const entry = { tag, keyword, vr };
  BY_TAG.set(tag, entry);
  BY_KEYWORD.set(keyword, entry);
}

/** The dictionary entry of a tag, if this small dictionary has it. */
export function entryByTag(tag: number): DictionaryEntry | undefined {
  return BY_TAG.get(tag);
}

/** The dictionary entry of a keyword (case-sensitive, as in PS3.6), if this small dictionary has it. */
export function entryByKeyword(keyword: string): DictionaryEntry | undefined {
  return BY_KEYWORD.get(keyword);
}

/** Every keyword the dictionary knows. */
export function keywords(): string[] {
  return [...BY_KEYWORD.keys()];
}

const TAG_TEXT = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/;

/**
 * Resolves a keyword (`PatientName`) or a tag written `(0010,0010)`, `0010,0010`, `00100010` or
 * dicom-parser's `x00100010` to a tag number; undefined when it is neither.
 */
export function resolveTag(name: string): number | undefined {
  const entry = BY_KEYWORD.get(name);
  if (entry) return entry.tag;
  const m = TAG_TEXT.exec(name.startsWith('x') ? name.slice(1) : name);
  if (!m) return undefined;
  return ((parseInt(m[1]!, 16) << 16) | parseInt(m[2]!, 16)) >>> 0;
}

/** A tag number as `(gggg,eeee)`, upper-case hex. */
export function formatTag(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/** True for a VR whose explicit encoding has a 4-byte length (after two reserved bytes). */
export function hasLongLength(vr: string): boolean {
  return LONG_VRS.has(vr);
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** Every valid VR, for rejecting garbage in explicit VR element headers. */
export const VRS: ReadonlySet<string> = new Set<Vr>([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
]);
