/**
 * The walk: the expected tree, read by the output schema, one property at a time. Only what the
 * expected tree holds is compared; what it lacks (an absent nullable output, an output the case
 * leaves unchecked) is not. Objects compare member by member, arrays item by item (with one
 * failure for a length difference), everything else with its method.
 */
import path from 'node:path';
import type { Property } from '../../kinds/property.js';
import { kindOf } from '../../kinds/registry.js';
import { arrayIndices } from '../../sdk/read-value.js';
import { classifyEntry, type EntryInfo } from '../../tree/entry.js';
import type { Comparison, CompareMethod } from '../types.js';
import { compareAllclose } from './allclose.js';
import type { Assets } from './assets.js';
import { baseOf, failed, reason, type LeafPair } from './context.js';
import { compareDice } from './dice.js';
import { compareDicom } from './dicom.js';
import { compareExact } from './exact.js';
import { compareHash } from './hash.js';
import { compareImage } from './image.js';
import { defaultMethod, isContainer, methodFor } from './method.js';
import { compareNumeric } from './numeric.js';
import type { Tolerances } from './tolerance.js';

/** What the walk carries along. */
export interface WalkContext {
  /** Real paths of the two roots: symlinks are followed only when they stay inside. */
  readonly expectedRoot: string;
  readonly actualRoot: string | undefined;
  readonly tolerances: Tolerances;
  readonly assets: Assets | undefined;
  readonly out: Comparison[];
}

const LEAF: Record<Exclude<CompareMethod, 'presence'>, (pair: LeafPair) => Promise<Comparison>> = {
  exact: compareExact,
  numeric: compareNumeric,
  hash: compareHash,
  image: compareImage,
  allclose: compareAllclose,
  dice: compareDice,
  dicom: compareDicom,
};

function unusable(info: EntryInfo): string | undefined {
  switch (info.kind) {
    case 'symlink-outside':
      return 'is a symbolic link leading outside its tree';
    case 'special':
      return 'is a FIFO, socket or device';
    case 'unreadable':
      return `cannot be read (${info.reason ?? 'unknown reason'})`;
    default:
      return undefined;
  }
}

function wantsDirectory(p: Property): boolean {
  return kindOf(p.kind).shape !== 'file';
}

/** Compares one property found in the expected tree at `expected`; appends to `ctx.out`. */
export async function walkProperty(
  p: Property,
  outputPath: string,
  expected: string,
  actual: string | undefined,
  ctx: WalkContext,
): Promise<void> {
  const ex = await classifyEntry(expected, ctx.expectedRoot);
  if (ex.kind === 'missing') return;
  const tol = ctx.tolerances.for(p, outputPath);
  const where = { property: p, path: outputPath, tolerance: tol.ok ? tol.tolerance : {} };
  const fallback: CompareMethod = (tol.ok && defaultMethod(p, tol.tolerance)) || 'presence';
  if (!tol.ok) return void ctx.out.push(failed(where, fallback, tol.problem));
  const chosen = methodFor(p, tol.tolerance);
  if (!chosen.ok) return void ctx.out.push(failed(where, fallback, chosen.problem));
  // Undefined for objects and arrays, which are walked rather than compared.
  const method = chosen.method;
  const shown = method ?? 'presence';
  const exProblem = unusable(ex);
  if (exProblem) return void ctx.out.push(failed(where, shown, `The expected entry ${exProblem}`));

  const ac: EntryInfo =
    actual === undefined || ctx.actualRoot === undefined
      ? { kind: 'missing' }
      : await classifyEntry(actual, ctx.actualRoot);
  if (ac.kind === 'missing') {
    return void ctx.out.push(
      failed(where, 'presence', `The actual output has no ${p.kind} ${outputPath}`, {
        expected: 'present',
        actual: 'absent',
      }),
    );
  }
  const acProblem = unusable(ac);
  if (acProblem) return void ctx.out.push(failed(where, shown, `The actual entry ${acProblem}`));
  if (method === 'presence') {
    return void ctx.out.push({
      ...baseOf(p, outputPath, 'presence', tol.tolerance),
      passed: true,
      expected: 'present',
      actual: 'present',
    });
  }
  const entry = wantsDirectory(p) ? 'directory' : 'file';
  for (const [side, info] of [
    ['expected', ex],
    ['actual', ac],
  ] as const) {
    if (info.kind !== entry) {
      return void ctx.out.push(
        failed(where, shown, `The ${side} entry is a ${info.kind}; a ${p.kind} is a ${entry}`),
      );
    }
  }
  const exReal = ex.real ?? expected;
  const acReal = ac.real ?? actual!;
  if (isContainer(p) || method === undefined) return walkContainer(p, outputPath, exReal, acReal, ctx);
  ctx.out.push(
    await LEAF[method]({
      property: p,
      path: outputPath,
      expected: exReal,
      actual: acReal,
      tolerance: tol.tolerance,
      assets: ctx.assets,
    }),
  );
}

async function walkContainer(
  p: Property,
  outputPath: string,
  expected: string,
  actual: string,
  ctx: WalkContext,
): Promise<void> {
  if (kindOf(p.kind).shape !== 'array') {
    for (const m of p.properties ?? []) {
      await walkProperty(
        m,
        `${outputPath}/${m.name}`,
        path.join(expected, m.name),
        path.join(actual, m.name),
        ctx,
      );
    }
    return;
  }
  const where = { property: p, path: outputPath, tolerance: {} };
  let expectedLength: number;
  let actualLength: number;
  try {
    expectedLength = await arrayIndices(p, expected);
  } catch (e) {
    return void ctx.out.push(failed(where, 'presence', `The expected array cannot be read: ${reason(e)}`));
  }
  try {
    actualLength = await arrayIndices(p, actual);
  } catch (e) {
    return void ctx.out.push(failed(where, 'presence', `The actual array cannot be read: ${reason(e)}`));
  }
  if (expectedLength !== actualLength) {
    ctx.out.push(
      failed(where, 'presence', `The array has ${actualLength} item(s); ${expectedLength} expected`, {
        expected: `${expectedLength} item(s)`,
        actual: `${actualLength} item(s)`,
        metrics: { expectedLength, actualLength },
      }),
    );
  }
  const item = p.items;
  if (!item) return;
  for (let i = 0; i < Math.min(expectedLength, actualLength); i++) {
    await walkProperty(
      item,
      `${outputPath}/${i}`,
      path.join(expected, String(i)),
      path.join(actual, String(i)),
      ctx,
    );
  }
}
