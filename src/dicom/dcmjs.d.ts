/**
 * The little of dcmjs 0.51 berth uses (dcmjs ships no TypeScript types): its full PS3.6 data
 * dictionary, keyed by `(GGGG,EEEE)` in upper-case hex, for the VR of tags berth's own small
 * dictionary does not know. Its reader and writer are not used (see src/dicom/derive.ts for why).
 */
declare module 'dcmjs' {
  /** One dictionary entry; `vr` may be a lower-case code for an ambiguous VR (`xs`, `ox`, `lt`, `up`). */
  export interface DcmjsDictionaryEntry {
    readonly tag: string;
    readonly vr: string;
    readonly vm: string;
    readonly name: string;
  }
  const dcmjs: {
    readonly data: {
      readonly DicomMetaDictionary: {
        readonly dictionary: Readonly<Record<string, DcmjsDictionaryEntry | undefined>>;
      };
    };
  };
  export default dcmjs;
}
