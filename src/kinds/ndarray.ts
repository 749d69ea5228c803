import type { KindDefinition } from './kind.js';
import { isBerthError } from '../errors.js';
import { isJsonObject } from '../manifest/document.js';
import { isDtypeName } from '../ndarray/dtype.js';
import { checkNdArray, ndarray, type NdArray } from '../ndarray/ndarray.js';
import { readNpy, readNpyHeader, writeNpy } from '../ndarray/npy.js';
import { byType } from './define-helpers.js';
import type { LeafIO, Property, Rand } from './kind.js';
import { describe, reportKeyword } from './keywords.js';
import { NDARRAY_DTYPES, type NdarrayDtypeName } from './property.js';
import { refusal, type ValueProblem } from './value.js';

/** An ndarray's spec: the declared dtype and shape (`null` = any extent), each optional. */
export interface NdarraySpec {
  readonly dtype?: NdarrayDtypeName;
  readonly shape?: readonly (number | null)[];
}

/** The spec of an `ndarray` property (empty for any other kind). */
export function ndarraySpecOf(p: Property): NdarraySpec {
  return p.kind === 'ndarray' ? (p as Property<NdarraySpec>).spec : {};
}

/** A declared shape as text, `[512, *, 3]` (`*` for an extent left free). */
export function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((n) => n ?? '*').join(', ')}]`;
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
        expected: `shape ${shapeText(want)}`,
      };
    }
  }
  return undefined;
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
    if (problem) throw refusal(problem, p, path);
    return arr;
  },
  async write(path, value, p) {
    checkNdArray(value, { path, property: p.path, code: 'BERTH_E_VALUE_TYPE' });
    const problem = ndarrayProblem(value.dtype, value.shape, p);
    if (problem) throw refusal(problem, p, path);
    await writeNpy(path, value);
  },
};

/**
 * `type: ndarray` (berth's extension) — a NumPy `.npy` file named as the property, with an
 * optional `dtype` and `shape` (`null` entries match any extent).
 */
export const ndarrayKind: KindDefinition<'ndarray', NdarraySpec> = byType<'ndarray', NdarraySpec>('ndarray', {
  keywords: {
    dtype: { enum: NDARRAY_DTYPES },
    shape: { type: 'array', items: { type: ['integer', 'null'], minimum: 0 } },
  },
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
  label: (p) => `ndarray(${p.spec.dtype ?? 'any'}${p.spec.shape ? `, ${shapeText(p.spec.shape)}` : ''})`,
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
  synth: (p, ctx) => synthNdarray(p.spec, ctx.rand),
  fromCase(value, _p, ctx) {
    if (isJsonObject(value) && isDtypeName(value['dtype']) && Array.isArray(value['shape'])) {
      const data = value['data'];
      return ndarray(
        value['dtype'],
        value['shape'] as number[],
        Array.isArray(data) ? (data as number[]) : undefined,
      );
    }
    throw ctx.refuse('An ndarray is given as {file: x.npy} or {dtype, shape, data}');
  },
  wire: {
    encode: (value, _p, ctx) => ctx.tensor(value),
    decode(value, p, ctx) {
      const arr = ctx.tensor(value);
      if (!arr) return undefined;
      const problem = ndarrayProblem(arr.dtype, arr.shape, p);
      return problem ? ctx.problem(problem) : arr;
    },
  },
});

/** A synthetic ndarray of the spec's dtype (default float32) and shape (free extents: 2–4). */
function synthNdarray(spec: NdarraySpec, rand: Rand): NdArray {
  const dtype = spec.dtype ?? 'float32';
  const shape = (spec.shape ?? [4, 4]).map((n) => n ?? 2 + Math.floor(rand() * 3));
  const size = shape.reduce((a, b) => a * b, 1) * (dtype.startsWith('complex') ? 2 : 1);
  const values: number[] = [];
  for (let i = 0; i < size; i++) {
    const r = rand();
    if (dtype === 'bool') values.push(r < 0.5 ? 0 : 1);
    else if (dtype.startsWith('uint')) values.push(Math.floor(r * 100));
    else if (dtype.startsWith('int')) values.push(Math.floor(r * 100) - 50);
    else values.push(Math.round((r * 2 - 1) * 1000) / 1000);
  }
  return ndarray(dtype, shape, values);
}
