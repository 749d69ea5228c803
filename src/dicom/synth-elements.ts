/**
 * The attributes of a synthetic series: those every instance shares (patient, study, series, image
 * pixel module, the modality's own, geometry, an optional private block) and those of one instance
 * (SOP instance, number, position, optional sequences). Pixel data is added by the caller.
 */
import { element, type WriteElement } from './write.js';
import type { SeriesPlan, SynthModality } from './synth-plan.js';

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The elements every instance of the series shares. */
export function seriesElements(plan: SeriesPlan): WriteElement[] {
  const { spec, modality, studyIx, seriesIx, seed } = plan;
  const date = '20240102';
  const common: WriteElement[] = [
    element('SpecificCharacterSet', 'ISO_IR 192'),
    element('SOPClassUID', plan.sopClass),
    element('StudyDate', date),
    element('SeriesDate', date),
    element('ContentDate', date),
    element('StudyTime', '120000'),
    element('SeriesTime', `12${String(10 + seriesIx).slice(-2)}00`),
    element('ContentTime', '121500'),
    element('AccessionNumber', `ACC${studyIx + 1}`),
    element('Modality', modality),
    element('Manufacturer', 'berth'),
    element('ManufacturerModelName', 'synthetic'),
    element('InstitutionName', 'berth test site'),
    element('ReferringPhysicianName', ''),
    element('StudyDescription', spec.studyDescription ?? `Synthetic study ${studyIx + 1}`),
    element('SeriesDescription', spec.seriesDescription ?? `Synthetic ${modality} series ${seriesIx + 1}`),
    element('PatientName', spec.patientName ?? `Synthetic^Patient${studyIx + 1}`),
    element('PatientID', spec.patientId ?? `BERTH-${seed}-${studyIx + 1}`),
    element('PatientBirthDate', '19700101'),
    element('PatientSex', 'O'),
    element('StudyInstanceUID', plan.study),
    element('SeriesInstanceUID', plan.series),
    element('StudyID', String(studyIx + 1)),
    element('SeriesNumber', seriesIx + 1),
    element('SamplesPerPixel', 1),
    element('PhotometricInterpretation', 'MONOCHROME2'),
    element('Rows', plan.rows),
    element('Columns', plan.cols),
    ...modalityElements(modality, plan),
  ];
  if (plan.hasGeometry) {
    common.push(
      element('FrameOfReferenceUID', plan.frameOfReference),
      element('PositionReferenceIndicator', ''),
      element('ImageOrientationPatient', plan.iop),
      element('PixelSpacing', [plan.ps, plan.ps]),
    );
  }
  if (spec.privateTags) {
    common.push(
      { tag: 0x00090010, vr: 'LO', value: 'BERTH SYNTH' },
      { tag: 0x00091001, vr: 'LO', value: 'private text' },
      { tag: 0x00091002, vr: 'UL', value: 1234567 },
      { tag: 0x00091003, vr: 'OB', value: new Uint8Array([1, 2, 3, 4, 5]) },
    );
  }
  return common;
}

/** The elements of a modality: image type, acquisition, and how pixels are stored. */
function modalityElements(modality: SynthModality, plan: SeriesPlan): WriteElement[] {
  switch (modality) {
    case 'CT':
      return ctElements(plan.spacing);
    case 'MR':
      return mrElements(plan.spacing);
    case 'CR':
      return crElements(plan.ps);
    case 'OT':
      return otElements(plan.frames);
    default: {
      const never: never = modality;
      return never;
    }
  }
}

function ctElements(spacing: number): WriteElement[] {
  return [
    element('ImageType', ['ORIGINAL', 'PRIMARY', 'AXIAL']),
    element('BodyPartExamined', 'CHEST'),
    element('KVP', 120),
    element('SliceThickness', spacing),
    element('ConvolutionKernel', 'STANDARD'),
    element('PatientPosition', 'HFS'),
    element('BitsAllocated', 16),
    element('BitsStored', 16),
    element('HighBit', 15),
    element('PixelRepresentation', 1),
    { tag: 0x00280120, vr: 'SS', value: -2000 }, // PixelPaddingValue (SS: signed pixels)
    element('WindowCenter', 40),
    element('WindowWidth', 400),
    element('RescaleIntercept', -1024),
    element('RescaleSlope', 1),
    element('RescaleType', 'HU'),
  ];
}

function mrElements(spacing: number): WriteElement[] {
  return [
    element('ImageType', ['ORIGINAL', 'PRIMARY', 'OTHER']),
    element('BodyPartExamined', 'HEAD'),
    element('ScanningSequence', 'SE'),
    element('SequenceVariant', 'NONE'),
    element('ScanOptions', ''),
    element('MRAcquisitionType', '2D'),
    element('SliceThickness', spacing),
    element('RepetitionTime', 500),
    element('EchoTime', 20),
    element('EchoTrainLength', 1),
    element('MagneticFieldStrength', 1.5),
    element('PatientPosition', 'HFS'),
    element('BitsAllocated', 16),
    element('BitsStored', 12),
    element('HighBit', 11),
    element('PixelRepresentation', 0),
    element('WindowCenter', 500),
    element('WindowWidth', 1000),
  ];
}

function crElements(ps: number): WriteElement[] {
  return [
    element('ImageType', ['ORIGINAL', 'PRIMARY']),
    element('BodyPartExamined', 'CHEST'),
    element('ViewPosition', 'PA'),
    element('PatientOrientation', ['L', 'F']),
    element('PixelSpacing', [ps, ps]),
    element('BitsAllocated', 16),
    element('BitsStored', 12),
    element('HighBit', 11),
    element('PixelRepresentation', 0),
  ];
}

function otElements(frames: number): WriteElement[] {
  const out = [
    element('ImageType', ['DERIVED', 'SECONDARY']),
    element('ConversionType', 'WSD'),
    element('PatientOrientation', ['L', 'F']),
    element('BitsAllocated', 8),
    element('BitsStored', 8),
    element('HighBit', 7),
    element('PixelRepresentation', 0),
  ];
  if (frames > 1) {
    out.push(
      element('NumberOfFrames', frames),
      element('FrameIncrementPointer', [0x00181063]),
      element('FrameTime', 40),
      element('BurnedInAnnotation', 'NO'),
    );
  }
  return out;
}

/**
 * The elements of instance `i` (before pixel data): its SOP instance UID, numbers, position and
 * slice location, and the sequences the spec asks for (referring to the series' first instance).
 */
export function instanceElements(
  plan: SeriesPlan,
  i: number,
  sop: string,
  first: string,
): { elements: WriteElement[]; instanceNumber: number; position: [number, number, number] | undefined } {
  const { spec, count, normal } = plan;
  const instanceNumber = spec.instanceNumberOrder === 'descending' ? count - i : i + 1;
  const elements: WriteElement[] = [
    element('SOPInstanceUID', sop),
    element('InstanceNumber', instanceNumber),
    element('AcquisitionNumber', 1),
  ];
  let position: [number, number, number] | undefined;
  if (plan.hasGeometry) {
    position = [0, 1, 2].map((k) => round4(plan.origin[k]! + normal[k]! * plan.spacing * i)) as [
      number,
      number,
      number,
    ];
    elements.push(
      element('ImagePositionPatient', position),
      element(
        'SliceLocation',
        round4(position[0] * normal[0] + position[1] * normal[1] + position[2] * normal[2]),
      ),
    );
  }
  if (spec.sequences && spec.sequences !== 'none') elements.push(...sequenceElements(plan, first));
  return { elements, instanceNumber, position };
}

/** A ReferencedImageSequence, and with private tags a nested private sequence. */
function sequenceElements(plan: SeriesPlan, first: string): WriteElement[] {
  const out: WriteElement[] = [
    element('ReferencedImageSequence', [
      [element('ReferencedSOPClassUID', plan.sopClass), element('ReferencedSOPInstanceUID', first)],
    ]),
  ];
  if (plan.spec.privateTags) {
    // Each item is its own data set: it needs its own private creator.
    const creator: WriteElement = { tag: 0x00090010, vr: 'LO', value: 'BERTH SYNTH' };
    out.push({
      tag: 0x00091010,
      vr: 'SQ',
      value: [
        [
          creator,
          {
            tag: 0x00091011,
            vr: 'SQ',
            value: [[creator, { tag: 0x00091012, vr: 'LO', value: 'nested' }], []],
          },
        ],
      ],
    });
  }
  return out;
}
