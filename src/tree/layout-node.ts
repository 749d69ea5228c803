/**
 * How a property occupies a tree, as far as paths are concerned. kinds/ produces these; tree/
 * only needs the shape, so it never imports kinds/ (imports point downward).
 */
export type LayoutShape =
  /** one regular file named after the property */
  | 'file'
  /** a directory of the object's own properties */
  | 'object'
  /** a directory of entries named 0..n-1 */
  | 'array'
  /** a directory of `<SOPInstanceUID>.dcm` files */
  | 'dicom-series'
  /** a directory of `<SeriesInstanceUID>/<SOPInstanceUID>.dcm` */
  | 'dicom-study';

/** One property in a layout: its name, its shape, and its children. */
export interface LayoutNode {
  /** The directory entry name (the property name; array items have none). */
  readonly name: string;
  readonly shape: LayoutShape;
  /** Optional (`nullable: true`): may be absent from a tree. */
  readonly optional: boolean;
  /** A short description of what the entry holds, e.g. `integer`, `image/png`, `dicom-series`. */
  readonly label: string;
  /** Object members. */
  readonly children?: readonly LayoutNode[];
  /** Array item definition. */
  readonly items?: LayoutNode;
}
