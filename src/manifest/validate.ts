import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { finding, type Finding } from '../errors.js';
import { DISPLAY_GROUPS, expectedShapeAt } from './display.js';
import { LABEL_KEYS, isJsonObject, type ManifestSource } from './document.js';
import { MAX_TIMEOUT_MINUTES } from './manifest.js';

/** What a timeout must be, in words (the manifest's and a case's). */
export const TIMEOUT_RULE = `timeout must be a positive number of minutes, at most ${MAX_TIMEOUT_MINUTES} (30 days)`;

/** Where the published manifest schema lives, relative to this module (src/ or dist/). */
export const MACHINE_SCHEMA_URL = new URL('../../schemas/machine.schema.json', import.meta.url);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    // Built code (dist/manifest/ and the CLI bundle in dist/cli/) uses the validator compiled at
    // build time (scripts/build-schema-validator.mjs); a missing one there is a broken build, not
    // a reason to spend ~100 ms compiling. Only code run from src/ compiles the schema now.
    if (!import.meta.url.endsWith('.ts')) {
      compiled = createRequire(import.meta.url)('../manifest/machine-validator.cjs') as ValidateFunction;
      return compiled;
    }
    const schema = JSON.parse(readFileSync(MACHINE_SCHEMA_URL, 'utf8')) as object;
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/**
 * Checks a manifest document against `schemas/machine.schema.json` and the document-level rules
 * (metadata-version, timeout, info, dicom-tags). Property definitions inside `schema-in` and
 * `schema-out` are checked by kinds/, which gives more precise findings, so schema errors there
 * are left to it.
 */
export function validateDocument(source: ManifestSource): Finding[] {
  const { document: doc, lineOf, path } = source;
  const findings: Finding[] = [];
  const at = (pointer: (string | number)[]) => {
    const line = lineOf(pointer);
    return { path, property: pointer.join('/') || undefined, ...(line === undefined ? {} : { line }) };
  };
  const validate = validator();
  if (!validate(doc)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const f = mapAjvError(e, at);
      if (!f) continue;
      const key = `${f.code}|${f.property}|${f.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        findings.push(f);
      }
    }
  }
  for (const side of ['schema-in', 'schema-out'] as const) {
    const map = doc[side];
    if (isJsonObject(map) && Object.keys(map).length === 0) {
      findings.push(
        finding('BERTH_E_SCHEMA_EMPTY', `${side} declares no properties`, {
          ...at([side]),
          severity: 'warning',
        }),
      );
    }
  }
  const tags = doc['dicom-tags'];
  const list =
    typeof tags === 'string'
      ? tags
          .split(/\r?\n/)
          .map((t) => t.trim())
          .filter(Boolean)
      : tags;
  if (Array.isArray(list)) {
    list.forEach((t, i) => {
      if (typeof t === 'string' && !/^([A-Za-z][A-Za-z0-9]*|\(?[0-9A-Fa-f]{4},?[0-9A-Fa-f]{4}\)?)$/.test(t)) {
        findings.push(
          finding(
            'BERTH_E_DICOM_TAG',
            `dicom-tags entry ${JSON.stringify(t)} is not a DICOM keyword or tag`,
            {
              ...at(['dicom-tags', i]),
              expected: 'a keyword such as PatientAge, or a tag such as (0010,1010)',
            },
          ),
        );
      }
    });
  }
  return findings;
}

function mapAjvError(
  e: ErrorObject,
  at: (pointer: (string | number)[]) => { path: string; property: string | undefined; line?: number },
): Finding | undefined {
  const pointer = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const top = pointer[0];
  // Property definitions get kind-aware findings from kinds/resolve.ts.
  if ((top === 'schema-in' || top === 'schema-out') && pointer.length > 1) return undefined;
  if (e.keyword === 'oneOf' || e.keyword === 'if') return undefined;
  const where = at(pointer);
  if (pointer.length === 0 && e.keyword === 'required') {
    const key = String(e.params['missingProperty']);
    return finding('BERTH_E_MANIFEST_MISSING_KEY', `The manifest has no ${key}`, {
      ...where,
      property: key,
      expected: `${key} (com.envoyai.${key})`,
    });
  }
  if (pointer.length === 0 && e.keyword === 'additionalProperties') {
    const key = String(e.params['additionalProperty']);
    return finding('BERTH_E_MANIFEST_UNKNOWN_KEY', `Unknown manifest key ${JSON.stringify(key)}`, {
      ...at([key]),
      property: key,
      expected: `one of ${LABEL_KEYS.join(', ')}, berth`,
    });
  }
  if (pointer.length === 0 && e.keyword === 'type') {
    return finding('BERTH_E_MANIFEST_NOT_OBJECT', undefined, { ...where, expected: 'a mapping' });
  }
  if (top === 'metadata-version') {
    return finding('BERTH_E_METADATA_VERSION', 'metadata-version must be 2', { ...where, expected: '2' });
  }
  if (top === 'timeout') {
    return finding('BERTH_E_TIMEOUT_VALUE', TIMEOUT_RULE, {
      ...where,
      expected: `a number of minutes > 0 and ≤ ${MAX_TIMEOUT_MINUTES}, e.g. 60`,
    });
  }
  if (top === 'info' && (e.keyword === 'required' || pointer[1] === 'name')) {
    return finding('BERTH_E_INFO_NAME', 'info.name is required and must be non-empty text', {
      ...where,
      property: 'info/name',
      expected: 'info: {name: my-machine}',
    });
  }
  if (top === 'display' || top === 'report') return shapeFinding(e, pointer, where);
  return finding(
    'BERTH_E_MANIFEST_SCHEMA',
    `${pointer.join('/') || 'manifest'} ${e.message ?? 'is invalid'}`,
    {
      ...where,
      ...(e.keyword === 'enum'
        ? { expected: `one of ${(e.params['allowedValues'] as unknown[]).join(', ')}` }
        : {}),
    },
  );
}

/**
 * A schema error inside `display` or `report`, naming the expected shape. A display group of the
 * wrong type gets one message whichever of its two accepted forms it was closer to.
 */
function shapeFinding(
  e: ErrorObject,
  pointer: string[],
  where: { path: string; property: string | undefined; line?: number },
): Finding {
  const at = pointer.join('/');
  const wholeGroup =
    pointer.length === 2 &&
    (DISPLAY_GROUPS as readonly string[]).includes(pointer[1] ?? '') &&
    e.keyword === 'type';
  const message = wholeGroup
    ? `${at} is neither a mapping with display-elements nor a list of display elements`
    : pointer.length === 1 && e.keyword === 'type'
      ? `${at} must be a mapping`
      : `${at} ${e.message ?? 'is invalid'}`;
  const expected =
    e.keyword === 'enum'
      ? `one of ${(e.params['allowedValues'] as unknown[]).join(', ')}`
      : expectedShapeAt(pointer);
  return finding('BERTH_E_MANIFEST_SCHEMA', message, {
    ...where,
    ...(expected === undefined ? {} : { expected }),
  });
}
