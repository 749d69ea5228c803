/**
 * Synthesis, case-value and wire facets that several kinds share: text kinds whose case and wire
 * values are the value itself, and containers (members, items).
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../manifest/document.js';
import type { CaseContext, WireValue } from './kind.js';

/**
 * A text kind's wire value: the value the reader returned, as it is; decoded through the kind's
 * text form (with every keyword), as the writer will check it.
 */
export const SCALAR_WIRE: WireValue = {
  encode: (value) => value,
  decode: (value, _p, ctx) => ctx.scalar(value),
};

/** A case value the SDK writer takes as it is (the writer checks it). */
export const asCaseValue = (value: JsonValue): unknown => value;

/** Members on the wire: an object, each member in its own kind's form. */
export const MEMBERS_WIRE: WireValue = {
  encode: (value, p, ctx) => ctx.members(p.properties ?? [], value as Record<string, unknown>),
  decode: (value, p, ctx) => ctx.members(p.properties ?? [], value),
};

/** A container with members, in a case: a mapping. */
export function caseMapping(value: JsonValue, name: string, ctx: CaseContext): JsonObject {
  if (!isJsonObject(value)) throw ctx.refuse(`${name} takes a mapping`);
  return value;
}
