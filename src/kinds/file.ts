import type { KindDefinition } from './property.js';
import { reportKeyword, stringKeyword } from './keywords.js';

/** A media type: `type/subtype` of RFC 6838 token characters, without parameters. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/** Media types whose content berth recognises by magic bytes (others are taken on trust). */
export const CHECKED_MIME_TYPES = [
  'image/jpeg',
  'image/png',
  'application/pdf',
  'application/dicom',
  'image/gif',
];

/** `mime-type: ...` — a file of that media type, named exactly as the property. */
export const fileKind: KindDefinition = {
  name: 'file',
  recognisedBy: 'mime-type',
  recognise: (def) => 'mime-type' in def,
  shape: 'file',
  keywords: ['mime-type'],
  define(def, ctx) {
    const mimeType = stringKeyword(def, 'mime-type', ctx);
    if (mimeType === undefined) return {};
    if (!MEDIA_TYPE.test(mimeType)) {
      reportKeyword(
        ctx,
        'BERTH_E_MIME_TYPE',
        'mime-type',
        `mime-type ${JSON.stringify(mimeType)} is not a media type`,
        'type/subtype, e.g. image/png',
      );
    }
    return { mimeType: mimeType.toLowerCase() };
  },
  label: (p) => p.mimeType ?? 'file',
};
