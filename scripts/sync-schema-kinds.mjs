// Writes the kinds of the registry into schemas/machine.schema.json at build time: the `type` and
// `dicom-type` enums of a property are the registry's kinds recognised by those keywords, in
// registry order, so a new kind needs no edit of the schema (test/manifest/validate.test.ts pins
// the result). Runs after tsc (it reads dist/kinds/registry.js); rewrites the file only when the
// enums changed, formatted by Prettier as the rest of the repository.
import { readFileSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import process from 'node:process';

const file = new URL('../schemas/machine.schema.json', import.meta.url);
const { KINDS } = await import(new URL('../dist/kinds/registry.js', import.meta.url).href);
const text = readFileSync(file, 'utf8');
const schema = JSON.parse(text);
const property = schema.definitions.property.properties;
const names = (by) => KINDS.filter((k) => k.recognisedBy === by).map((k) => k.name);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
if (!same(property.type.enum, names('type')) || !same(property['dicom-type'].enum, names('dicom-type'))) {
  // Only the two arrays are replaced in the text, so the file keeps its hand-made layout elsewhere.
  const start = text.indexOf('"A property, recognised by');
  const replaceEnum = (t, key, values) => {
    const re = new RegExp(`("${key}": \\{\\s*"enum": )\\[[^\\]]*\\]`, 'y');
    for (let i = t.indexOf(`"${key}": {`, start); i >= 0; i = t.indexOf(`"${key}": {`, i + 1)) {
      re.lastIndex = i;
      const m = re.exec(t);
      if (m) return t.slice(0, i) + m[1] + JSON.stringify(values) + t.slice(i + m[0].length);
    }
    throw new Error(`sync-schema-kinds: no "${key}" enum in the property definition`);
  };
  let out = replaceEnum(text, 'type', names('type'));
  out = replaceEnum(out, 'dicom-type', names('dicom-type'));
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file.pathname)) ?? {};
  writeFileSync(file, await prettier.format(out, { ...options, parser: 'json' }));
  process.stdout.write('schemas/machine.schema.json: kind enums updated from the registry\n');
}
