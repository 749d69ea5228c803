/**
 * Shared helpers of the DICOM tests: the real peers (dcmtk, pydicom,
 * dicom3tools) behind the project's peer gate, and a pixel checksum both sides compute alike.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { synthSeries } from '../../src/dicom/synth.js';
import { TS } from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write.js';
import type { Peer } from './peers.js';
import { SYSTEM_PYTHON, runPython } from './python.js';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export const DCMTK_PEER: Peer = {
  name: 'dcmtk (dcmdump, dcmftest, dcmconv, dcmcrle)',
  packages: ['dcmtk'],
  probe: async () => (await exists('/usr/bin/dcmdump')) && (await exists('/usr/bin/dcmftest')),
};

/** GDCM's command-line tools (gdcmconv), a second encoder and decoder for the codec corpus. */
export const GDCM_PEER: Peer = {
  name: 'GDCM tools (gdcmconv)',
  packages: ['libgdcm-tools'],
  probe: async () => exists('/usr/bin/gdcmconv'),
};

export const DICOM3TOOLS_PEER: Peer = {
  name: 'dicom3tools (dciodvfy)',
  packages: ['dicom3tools'],
  probe: () => exists('/usr/bin/dciodvfy'),
};

export const PYDICOM_PEER: Peer = {
  name: 'pydicom + numpy in /usr/bin/python3',
  packages: ['python3-pydicom', 'python3-numpy'],
  probe: async () => (await runPython('import pydicom, numpy')).code === 0,
};

/** pydicom with GDCM's Python binding, its pixel handler for JPEG, JPEG-LS and JPEG 2000. */
export const PYDICOM_GDCM_PEER: Peer = {
  name: 'pydicom + numpy + GDCM (python3-gdcm) in /usr/bin/python3',
  packages: ['python3-pydicom', 'python3-numpy', 'python3-gdcm'],
  probe: async () => (await runPython('import pydicom, numpy, gdcm')).code === 0,
};

/** Runs a program with a timeout; resolves its exit code and output, never rejects on exit status. */
export function run(
  file: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/**
 * SHA-256 of the pixel values as little endian float64 — numpy computes the same with
 * `np.asarray(a, dtype='<f8').tobytes()`, whatever the stored type and byte order.
 */
export function pixelChecksum(values: ArrayLike<number>): string {
  const f = Float64Array.from(values as ArrayLike<number>);
  return createHash('sha256').update(new Uint8Array(f.buffer)).digest('hex');
}

/** Reads files with pydicom: UIDs, transfer syntax and the pixel checksum of each, as JSON lines. */
export const PYDICOM_SCRIPT = `
import sys, json, hashlib
import numpy as np
import pydicom
for path in sys.argv[1:]:
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    print(json.dumps({
        'path': path,
        'sop': ds.SOPInstanceUID,
        'series': ds.SeriesInstanceUID,
        'study': ds.StudyInstanceUID,
        'meta_sop': ds.file_meta.MediaStorageSOPInstanceUID,
        'ts': ds.file_meta.TransferSyntaxUID,
        'rows': int(ds.Rows),
        'dtype': str(arr.dtype),
        'checksum': hashlib.sha256(np.asarray(arr, dtype='<f8').tobytes()).hexdigest(),
    }))
`;

export { SYSTEM_PYTHON, runPython };

/**
 * A one-instance 8×8 OT file in `transferSyntaxUid` whose pixel data is the one fragment `fragment`
 * (opaque bytes: berth must pass it through or refuse it, never decode it).
 */
export function encapsulatedPart10(
  transferSyntaxUid: string,
  fragment: Uint8Array,
  seed = transferSyntaxUid,
): Buffer {
  const [inst] = synthSeries({ seed, modality: 'OT', instances: 1, rows: 8, columns: 8 });
  return encodePart10(
    inst!.elements.map((e) =>
      e.tag === 0x7fe00010
        ? { ...e, value: { encapsulated: true as const, fragments: [fragment], offsetTable: [] } }
        : e,
    ),
    { transferSyntaxUid },
  );
}

/**
 * A one-instance 8×8 OT file in JPEG Baseline whose pixel data is one fragment holding just the
 * JPEG start and end markers: encapsulated, so berth must pass it through or refuse, never decode.
 */
export function jpegLikePart10(): Buffer {
  return encapsulatedPart10(TS.JPEGBaseline8Bit, new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), 'jpeg');
}
