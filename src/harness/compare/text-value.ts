/** Reading a primitive value file for comparison: its text and its decoded value. */
import { BerthError } from '../../errors.js';
import { kindOf } from '../../kinds/registry.js';
import type { Property } from '../../kinds/property.js';
import { stripOneNewline } from '../../kinds/value.js';
import { readTextFile } from '../../tree/read-text.js';
import { textFormOf } from '../../kinds/kind.js';

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
  if (p.kind === 'string') return { text: raw, value: raw };
  const text = stripOneNewline(raw);
  // Enum membership is a validation matter too: compare the text as it is.
  if (p.kind === 'enum') return { text, value: text };
  const outcome = form.parse(raw, { ...p, keywords: {} });
  if (!outcome.ok) {
    const { code, message, expected } = outcome.problem;
    throw new BerthError(code, message, {
      path: file,
      property: p.path,
      ...(expected === undefined ? {} : { expected }),
    });
  }
  return { text, value: outcome.value };
}
