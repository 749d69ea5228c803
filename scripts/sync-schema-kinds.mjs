// Writes the kinds of the registry into schemas/machine.schema.json at build time: the keywords of
// a property definition (the `type` and `dicom-type` enums, and each kind's own keywords with their
// schemas) come from the kinds' `keywords` facets (src/kinds/manifest-schema.ts), so a new kind or
// keyword needs no edit of the schema; test/kinds/manifest-schema.test.ts fails when the committed
// file is stale. Runs after tsc (it reads dist/kinds/); rewrites the file only when it changed,
// formatted by Prettier as the rest of the repository.
import { readFileSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import process from 'node:process';

const file = new URL('../schemas/machine.schema.json', import.meta.url);
const { KINDS } = await import(new URL('../dist/kinds/registry.js', import.meta.url).href);
const { withKindKeywords } = await import(new URL('../dist/kinds/manifest-schema.js', import.meta.url).href);
const schema = JSON.parse(readFileSync(file, 'utf8'));
const updated = withKindKeywords(schema, KINDS);
if (JSON.stringify(updated) !== JSON.stringify(schema)) {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file.pathname)) ?? {};
  writeFileSync(file, await prettier.format(JSON.stringify(updated), { ...options, parser: 'json' }));
  process.stdout.write('schemas/machine.schema.json: property keywords updated from the kinds\n');
}
