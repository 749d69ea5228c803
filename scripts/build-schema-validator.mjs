// Compiles schemas/machine.schema.json into a standalone validator at build time
// (dist/manifest/machine-validator.cjs), so a berth command does not spend ~100 ms compiling
// the schema with ajv on every start. src/manifest/validate.ts falls back to compiling when the
// file is absent (tests run from src/ through tsx).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { URL } from 'node:url';

const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;

const schema = JSON.parse(readFileSync(new URL('../schemas/machine.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, code: { source: true } });
const validate = ajv.compile(schema);
mkdirSync(new URL('../dist/manifest/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../dist/manifest/machine-validator.cjs', import.meta.url),
  standaloneCode(ajv, validate),
);
