import type { JsonObject } from '../manifest/document.js';
import type { KindDefinition, KindName, Property } from './property.js';

/** Fields shared by the kinds recognised by their `type` keyword. */
export function byType(
  name: KindName,
  keywords: readonly string[],
  define: KindDefinition['define'],
  extra: Partial<Pick<KindDefinition, 'shape' | 'label' | 'text' | 'leaf'>> &
    Pick<KindDefinition, 'typescript'>,
): KindDefinition {
  return {
    name,
    recognisedBy: 'type',
    // `enum` with `type: string` is an enum (JSON Schema writes it that way); see enum.ts.
    recognise: (def: JsonObject) => def['type'] === name && !(name === 'string' && 'enum' in def),
    shape: extra.shape ?? 'file',
    keywords,
    define,
    label: extra.label ?? ((p: Property) => p.kind),
    ...(extra.text ? { text: extra.text } : {}),
    ...(extra.leaf ? { leaf: extra.leaf } : {}),
    typescript: extra.typescript,
  };
}
