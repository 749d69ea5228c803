/**
 * The property model's vocabulary, for the many modules that import it from here: the types live
 * in kind.ts (the KindDefinition and its facets); the specs of the DICOM and ndarray kinds below.
 */
import { DTYPE_NAMES, type DtypeName } from '../ndarray/dtype.js';

export type {
  Comparison,
  CompareMethod,
  DefineContext,
  Defined,
  JsonSchema,
  KeywordSchemas,
  KindDefinition,
  KindName,
  LeafIO,
  Outcome,
  Property,
  SchemaContext,
  Side,
  Storage,
  TextForm,
  ToleranceHints,
  TsType,
  TypeContext,
  ValueKeywords,
  ValueModel,
  ValueModelType,
  ValueProblem,
} from './kind.js';
export { SIDE_KEY } from './kind.js';

export type { DicomConstraints } from '../dicom/constraints.js';

/** The DICOM descriptive properties of the reference (never enforced). */
export interface DicomDescription {
  studyDescription?: string;
  seriesDescription?: string;
  seriesDescriptionsArray?: string[];
}

/** The dtypes an `ndarray` property may declare: every dtype berth's arrays support. */
export const NDARRAY_DTYPES = DTYPE_NAMES;

/** One `ndarray` dtype name. */
export type NdarrayDtypeName = DtypeName;
