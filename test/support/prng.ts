/**
 * mulberry32 with a numeric seed, so that test data is the same on every run: the generator of
 * src/dicom/prng.ts (the one berth's synthetic data uses), not a copy. (The fuzz suites draw from
 * fast-check, seeded by ./fuzz.ts.)
 */
export { mulberry32 as prng } from '../../src/dicom/prng.js';
