import { byType } from './define-helpers.js';
import { describe, reportKeyword } from './keywords.js';
import { NDARRAY_DTYPES, type NdarrayDtypeName, type Property } from './property.js';

/**
 * `type: ndarray` (berth's extension) — a NumPy `.npy` file named as the property, with an
 * optional `dtype` and `shape` (`null` entries match any extent).
 */
export const ndarrayKind = byType(
  'ndarray',
  ['dtype', 'shape'],
  (def, ctx) => {
    const spec: { dtype?: NdarrayDtypeName; shape?: (number | null)[] } = {};
    const dtype = def['dtype'];
    if (dtype !== undefined) {
      if (typeof dtype === 'string' && (NDARRAY_DTYPES as readonly string[]).includes(dtype)) {
        spec.dtype = dtype as NdarrayDtypeName;
      } else {
        reportKeyword(
          ctx,
          'BERTH_E_NDARRAY_DTYPE',
          'dtype',
          `dtype ${describe(dtype)} is not supported`,
          `one of ${NDARRAY_DTYPES.join(', ')}`,
        );
      }
    }
    const shape = def['shape'];
    if (shape !== undefined) {
      if (
        Array.isArray(shape) &&
        shape.every((n) => n === null || (typeof n === 'number' && Number.isInteger(n) && n >= 0))
      ) {
        spec.shape = shape as (number | null)[];
      } else {
        reportKeyword(
          ctx,
          'BERTH_E_NDARRAY_SHAPE',
          'shape',
          `shape ${describe(shape)} is not a list of non-negative integers or null`,
          'e.g. [512, 512] or [null, 3]',
        );
      }
    }
    return { ndarray: spec };
  },
  {
    label: (p: Property) =>
      `ndarray(${p.ndarray?.dtype ?? 'any'}${p.ndarray?.shape ? `, [${p.ndarray.shape.map((n) => n ?? '*').join(', ')}]` : ''})`,
  },
);
