import type { KindDefinition } from './kind.js';
import { BerthError, isBerthError } from '../errors.js';
import { checkNdArray, type NdArray } from '../ndarray/ndarray.js';
import { readNpy, readNpyHeader, writeNpy } from '../ndarray/npy.js';
import { byType } from './define-helpers.js';
import type { LeafIO, Property } from './kind.js';
import { describe, reportKeyword } from './keywords.js';
import { NDARRAY_DTYPES, type NdarrayDtypeName } from './property.js';
import type { ValueProblem } from './value.js';

/** An ndarray's spec: the declared dtype and shape (`null` = any extent), each optional. */
export interface NdarraySpec {
  readonly dtype?: NdarrayDtypeName;
  readonly shape?: readonly (number | null)[];
}

/** The spec of an `ndarray` property (empty for any other kind). */
export function ndarraySpecOf(p: Property): NdarraySpec {
  return p.kind === 'ndarray' ? (p as Property<NdarraySpec>).spec : {};
}

/** Why an array's dtype or shape contradicts its property, or undefined when it fits. */
export function ndarrayProblem(
  dtype: string,
  shape: readonly number[],
  p: Property,
): ValueProblem | undefined {
  const spec = ndarraySpecOf(p);
  if (spec.dtype !== undefined && dtype !== spec.dtype) {
    return {
      code: 'BERTH_E_NDARRAY_MISMATCH',
      message: `The array is ${dtype}`,
      expected: `dtype ${spec.dtype}`,
    };
  }
  if (spec.shape !== undefined) {
    const want = spec.shape;
    const fits = shape.length === want.length && want.every((n, i) => n === null || n === shape[i]);
    if (!fits) {
      return {
        code: 'BERTH_E_NDARRAY_MISMATCH',
        message: `The array has shape [${shape.join(', ')}]`,
        expected: `shape [${want.map((n) => n ?? '*').join(', ')}]`,
      };
    }
  }
  return undefined;
}

function refuse(problem: ValueProblem, p: Property, path: string): BerthError {
  return new BerthError(problem.code, problem.message, {
    path,
    property: p.path,
    ...(problem.expected === undefined ? {} : { expected: problem.expected }),
  });
}

const ndarrayIO: LeafIO<NdArray> = {
  accepts: 'an NdArray {dtype, shape, data}',
  async check(path, size, p) {
    try {
      const h = await readNpyHeader(path);
      const problems: ValueProblem[] = [];
      const mismatch = ndarrayProblem(h.dtype, h.shape, p);
      if (mismatch) problems.push(mismatch);
      const expectedSize = h.dataOffset + h.dataLength;
      if (size !== expectedSize) {
        problems.push({
          code: 'BERTH_E_NPY_SHAPE',
          message: `The file is ${size} bytes; its header calls for ${expectedSize}`,
          expected: `${expectedSize} bytes`,
        });
      }
      return problems;
    } catch (e) {
      if (!isBerthError(e)) throw e;
      return [
        { code: e.code, message: e.message, ...(e.expected === undefined ? {} : { expected: e.expected }) },
      ];
    }
  },
  async read(path, p) {
    const arr = await readNpy(path);
    const problem = ndarrayProblem(arr.dtype, arr.shape, p);
    if (problem) throw refuse(problem, p, path);
    return arr;
  },
  async write(path, value, p) {
    checkNdArray(value, { path, property: p.path, code: 'BERTH_E_VALUE_TYPE' });
    const problem = ndarrayProblem(value.dtype, value.shape, p);
    if (problem) throw refuse(problem, p, path);
    await writeNpy(path, value);
  },
};

/**
 * `type: ndarray` (berth's extension) — a NumPy `.npy` file named as the property, with an
 * optional `dtype` and `shape` (`null` entries match any extent).
 */
export const ndarrayKind: KindDefinition<'ndarray', NdarraySpec> = byType<'ndarray', NdarraySpec>('ndarray', {
  keywords: ['dtype', 'shape'],
  define(def, ctx) {
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
    return { spec };
  },
  label: (p) =>
    `ndarray(${p.spec.dtype ?? 'any'}${p.spec.shape ? `, [${p.spec.shape.map((n) => n ?? '*').join(', ')}]` : ''})`,
  shape: 'file',
  storage: { form: 'leaf', leaf: ndarrayIO as LeafIO<unknown, NdarraySpec> },
  model: (p) => ({
    type: 'tensor',
    ...(p.spec.dtype === undefined ? {} : { dtype: p.spec.dtype }),
    ...(p.spec.shape === undefined ? {} : { shape: p.spec.shape }),
  }),
  jsonSchema: (p, ctx) => ({ ...ctx.described(p), ...ctx.tensor(p.spec.dtype, p.spec.shape) }),
  comparison: {
    accepts: ['hash', 'allclose', 'dice', 'presence'],
    // Masks compare by overlap when the tolerance asks for a dice score.
    defaultMethod: (_p, t) => (t.dice !== undefined ? 'dice' : 'allclose'),
  },
  typescript(p, t) {
    const dtype = p.spec.dtype;
    const type = dtype === undefined ? t.berth('NdArray') : `${t.berth('NdArrayOf')}<${t.literal(dtype)}>`;
    return { read: type, write: type };
  },
});
