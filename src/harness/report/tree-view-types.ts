/** The shapes of a tree view (./tree-view.ts builds them, ./tree-view-dicom.ts fills DICOM nodes). */
import type { OverlayBase } from './overlay.js';

/** A picture on the page. */
export interface Picture {
  /** A `data:` URI. */
  uri: string;
  width: number;
  height: number;
  /** What it shows, in words (`slice 4 of 8`, `512 × 512`). */
  caption: string;
}

/** One entry of a tree as shown. */
export interface ViewNode {
  /** The entry name (a property name, an array index, a UID). */
  name: string;
  /** Path from the tree root, `/`-separated. */
  rel: string;
  /** The kind, or `undeclared` for entries the schema does not declare. */
  kind: string;
  /** The kind's short label (`integer`, `image/png`, `dicom-series`). */
  label: string;
  state: 'present' | 'missing' | 'absent' | 'undeclared' | 'unreadable';
  /** True when the entry is (or, when missing, should be) a directory. */
  directory?: boolean;
  /** Primitive kinds: the text of the value (a prefix when long). */
  value?: string;
  /** True when {@link value} is a prefix of a longer text. */
  truncated?: boolean;
  /** Files: size in bytes. */
  size?: number;
  /** Files: the media type the content's magic bytes say. */
  detected?: string;
  /** More in words: `int16 [3, 64, 64]`, `8 instances · CT · 64 × 64`, why it is unreadable. */
  note?: string;
  /** An array: its children are its items (the page shows the first few, then folds the rest). */
  list?: boolean;
  /** A thumbnail of an image file, the middle slice of DICOM, or a mask over its input series. */
  picture?: Picture;
  /** Why no picture could be made. */
  pictureError?: string;
  children?: ViewNode[];
}

/** Limits of a tree view; one budget object may be shared by several trees of one page. */
export interface ViewBudget {
  /** Pictures (thumbnails and slices) still allowed. */
  pictures: number;
  /** Largest side of a picture in pixels. */
  pictureSize: number;
  /** Array items shown per array. */
  arrayItems: number;
  /** Characters of a primitive value shown. */
  valueChars: number;
  /** Input series an integer ndarray output may be drawn over (see ./overlay.ts); none by default. */
  overlays?: readonly OverlayBase[];
}
