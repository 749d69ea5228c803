/**
 * The VR of a tag in an implicit VR data set, where the file does not say it.
 *
 * berth's PS3.6 dictionary (dictionary.ts) is asked first, for attributes with one VR; then dcmjs's full PS3.6 dictionary
 * (about 5000 attributes, loaded on first use: ≈45 ms), so a standard attribute converted from
 * implicit to explicit VR gets its real VR instead of UN. Ambiguous VRs are settled by the image's
 * own attributes, as PS3.5 and PS3.6 say: US/SS by PixelRepresentation, OB/OW by BitsAllocated.
 * Whatever neither dictionary knows — private attributes above all — becomes UN, which keeps the
 * value's bytes exactly (PS3.5 6.2.2).
 */
import { createRequire } from 'node:module';
import type dcmjsModule from 'dcmjs';
import { entryByTag } from './dictionary.js';

type FullDictionary = (typeof dcmjsModule)['data']['DicomMetaDictionary']['dictionary'];

let full: FullDictionary | null | undefined;

function fullDictionary(): FullDictionary | null {
  if (full === undefined) {
    try {
      // Synchronous on purpose: transcoding is synchronous, and dcmjs has a CommonJS build.
      const require = createRequire(import.meta.url);
      full = (require('dcmjs') as typeof dcmjsModule).data.DicomMetaDictionary.dictionary;
    } catch {
      full = null; // without dcmjs, unknown standard tags become UN: still lossless
    }
  }
  return full;
}

/** What settles an ambiguous VR: the image attributes seen so far at the top level. */
export interface VrContext {
  bitsAllocated?: number;
  pixelRepresentation?: number;
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * The VR to write for `tag` when the source does not give one. `undefinedLength` means the element
 * had undefined length, which in implicit VR only a sequence may have.
 */
export function vrForImplicit(tag: number, undefinedLength: boolean, ctx: VrContext): string {
  if (undefinedLength) return 'SQ';
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (element === 0) return 'UL'; // group length
  if (group & 1) {
    // Private: the creator elements are LO (PS3.5 7.8.1); everything else is unknown to any dictionary.
    return element >= 0x0010 && element <= 0x00ff ? 'LO' : 'UN';
  }
  const ownEntry = entryByTag(tag);
  const own = ownEntry?.vr;
  if (own && ownEntry.vrs.length === 1) return own; // several VRs (US or SS …): settled below
  const entry = fullDictionary()?.[`(${hex4(group)},${hex4(element)})`];
  const vr = entry?.vr ?? own ?? 'UN';
  switch (vr) {
    case 'xs':
      return ctx.pixelRepresentation === 1 ? 'SS' : 'US';
    case 'ox':
      // Pixel data: OB for 8-bit (or less) samples, OW above; overlay data is OW in implicit VR.
      return group === 0x7fe0 && (ctx.bitsAllocated ?? 16) <= 8 ? 'OB' : 'OW';
    case 'lt':
      return 'OW';
    case 'up':
      return 'UL';
    case 'na':
      return 'UN';
    default:
      return /^[A-Z]{2}$/.test(vr) ? vr : 'UN';
  }
}
