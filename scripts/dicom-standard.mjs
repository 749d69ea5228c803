// @ts-check
/**
 * Where the DICOM standard's tables as JSON (innolitics/dicom-standard, MIT) are read from by the
 * generators: $BERTH_DICOM_STANDARD, else the team's shared/ folder beside the repository (as CI
 * lays it out too): ../shared/reference/dicom-standard.
 */
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** The folder holding attributes.json and confidentiality_profile_attributes.json. */
export function standardDir() {
  return (
    process.env.BERTH_DICOM_STANDARD ??
    path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '..',
      '..',
      'shared',
      'reference',
      'dicom-standard',
    )
  );
}
