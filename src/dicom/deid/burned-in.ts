/**
 * Burned-in annotation: header rules cannot clean identity drawn into the pixels, so instances that
 * say they carry it, and the SOP classes that usually do, are refused unless the caller opts in.
 */
import { BerthError } from '../../errors.js';

/** SOP classes refused by default, with why. */
export const BURNED_IN_SOP_CLASSES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.5.1.4.1.1.7', 'Secondary Capture (screenshots, scanned documents)'],
  ['1.2.840.10008.5.1.4.1.1.7.1', 'Multi-frame Single Bit Secondary Capture'],
  ['1.2.840.10008.5.1.4.1.1.7.2', 'Multi-frame Grayscale Byte Secondary Capture'],
  ['1.2.840.10008.5.1.4.1.1.7.3', 'Multi-frame Grayscale Word Secondary Capture'],
  ['1.2.840.10008.5.1.4.1.1.7.4', 'Multi-frame True Color Secondary Capture'],
  ['1.2.840.10008.5.1.4.1.1.6', 'Ultrasound Image (retired)'],
  ['1.2.840.10008.5.1.4.1.1.6.1', 'Ultrasound Image'],
  ['1.2.840.10008.5.1.4.1.1.6.2', 'Enhanced US Volume'],
  ['1.2.840.10008.5.1.4.1.1.3', 'Ultrasound Multi-frame Image (retired)'],
  ['1.2.840.10008.5.1.4.1.1.3.1', 'Ultrasound Multi-frame Image'],
  ['1.2.840.10008.5.1.4.1.1.88.67', 'X-Ray Radiation Dose SR'],
  ['1.2.840.10008.5.1.4.1.1.88.68', 'Radiopharmaceutical Radiation Dose SR'],
  ['1.2.840.10008.5.1.4.1.1.88.73', 'Patient Radiation Dose SR'],
  ['1.2.840.10008.5.1.4.1.1.88.76', 'Enhanced X-Ray Radiation Dose SR'],
  ['1.2.840.10008.5.1.4.1.1.104.1', 'Encapsulated PDF'],
  ['1.2.840.10008.5.1.4.1.1.77.1.1.1', 'Video Endoscopic Image'],
  ['1.2.840.10008.5.1.4.1.1.77.1.4', 'VL Photographic Image'],
]);

/**
 * Throws BERTH_E_PHI_BURNED_IN when the instance says BurnedInAnnotation YES or is of a class in
 * {@link BURNED_IN_SOP_CLASSES}.
 */
export function refuseBurnedIn(
  path: string,
  sopClassUid: string | undefined,
  burnedIn: string | undefined,
): void {
  const why =
    burnedIn?.trim().toUpperCase() === 'YES'
      ? 'says BurnedInAnnotation (0028,0301) YES'
      : sopClassUid && BURNED_IN_SOP_CLASSES.has(sopClassUid)
        ? `is a ${BURNED_IN_SOP_CLASSES.get(sopClassUid)!} instance, a class that usually has identity in its pixels`
        : undefined;
  if (!why) return;
  throw new BerthError(
    'BERTH_E_PHI_BURNED_IN',
    `The instance ${why}; header de-identification cannot clean it`,
    {
      path,
      expected: 'no burned-in annotation, or allowBurnedIn (--deid-allow-burned-in) to accept the risk',
    },
  );
}
