/** Reading a primitive value file for comparison: its text and its decoded value. */
import { BerthError } from '../../errors.js';
import { kindOf } from '../../kinds/registry.js';
import type { Property } from '../../kinds/property.js';
import { refusal, stripOneNewline } from '../../kinds/value.js';
import { readTextFile } from '../../tree/read-text.js';
import { textFormOf } from '../../kinds/kind.js';
import type { Comparison } from '../types.js';
import { readBoth, short, type LeafPair } from './context.js';

/** A primitive value as read: the text (one trailing newline dropped, except for strings) and the value. */
export interface TextValue {
  readonly text: string;
  readonly value: unknown;
}

/**
 * Reads and decodes a primitive value file. The property's range and length keywords are not
 * applied: comparing is not validating (validation reports those), and a value outside its range
 * must still compare equal or not with its expected value.
 * @throws {@link BerthError} when the file cannot be read or is not the kind's text form.
 */
export async function readTextValue(p: Property, file: string): Promise<TextValue> {
  const raw = await readTextFile(file);
  const form = textFormOf(kindOf(p.kind));
  if (!form) throw new BerthError('BERTH_E_INTERNAL', `${p.kind} has no text form`, { property: p.path });
  const model = kindOf(p.kind).model(p).type;
  // Free text is compared as it is, trailing newline included.
  if (model === 'text') return { text: raw, value: raw };
  const text = stripOneNewline(raw);
  // Category membership is a validation matter too: compare the text as it is.
  if (model === 'category') return { text, value: text };
  const outcome = form.parse(raw, { ...p, keywords: {} });
  if (!outcome.ok) throw refusal(outcome.problem, p, file);
  return { text, value: outcome.value };
}

/** Both values of a pair, or the failed comparison that says which one cannot be read. */
export function readTextPair(
  pair: LeafPair,
  method: 'exact' | 'numeric',
): Promise<{ e: TextValue; a: TextValue } | Comparison> {
  return readBoth(
    pair,
    method,
    'value cannot be read',
    (file) => readTextValue(pair.property, file),
    (e) => short(e.text),
  );
}
