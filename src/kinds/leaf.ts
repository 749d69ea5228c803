/** How a kind stored as one non-text file is checked, read and written: see kind.ts. */
export type { LeafIO } from './kind.js';
