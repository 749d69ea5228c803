import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BerthError,
  CATALOGUE,
  classOf,
  codesOfClass,
  defaultSeverityOf,
  finding,
  httpStatusOf,
  isBrokenDicomCode,
  isCode,
  isNotApplicableCode,
  summaryOf,
  type Code,
  type CodeClass,
  type CodeEntry,
} from '../src/errors.js';
import { ROOT } from './support/paths.js';

const CODES = Object.keys(CATALOGUE) as Code[];
const entry = (code: Code): CodeEntry => CATALOGUE[code];

/** Every .ts file under a directory, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return sources(full);
    return d.isFile() && d.name.endsWith('.ts') ? [full] : [];
  });
}

/** The text of a source without its block comments and whole-line `//` comments. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

/** The README section `## title`, up to the next `## `. */
function readmeSection(readme: string, title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README has a "${title}" section`).to.be.greaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The rows of the per-code table: `| \`CODE\` | class | HTTP | meaning |`. */
function codeRows(section: string): { code: string; cls: string; http: string; meaning: string }[] {
  return [...section.matchAll(/^\| `(BERTH_E_[A-Z0-9_]+)` \| ([^|]+) \| ([^|]+) \| (.*) \|$/gm)].map((m) => ({
    code: m[1]!,
    cls: m[2]!.trim(),
    http: m[3]!.trim(),
    meaning: m[4]!.trim(),
  }));
}

describe('errors: the catalogue', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  describe('guard: codes, their use and their documentation agree', () => {
    it('has every code used by the source outside src/errors.ts, as a quoted literal', () => {
      const src = sources(path.join(ROOT, 'src'))
        .filter((f) => f !== path.join(ROOT, 'src', 'errors.ts'))
        .map(code)
        .join('\n');
      const unused = CODES.filter((c) => !src.includes(`'${c}'`) && !src.includes(`"${c}"`));
      expect(unused, 'codes no source produces: remove them from CATALOGUE').to.deep.equal([]);
    });

    it('documents every code once in the README table, with its class, severity and HTTP status', () => {
      const rows = codeRows(readmeSection(readme, 'Finding and error codes'));
      const documented = rows.map((r) => r.code);
      expect(
        documented.filter((c, i) => documented.indexOf(c) !== i),
        'rows given twice',
      ).to.deep.equal([]);
      expect([...documented].sort()).to.deep.equal([...CODES].sort());
      for (const row of rows) {
        const c = row.code as Code;
        const severity = entry(c).severity === 'warning' ? ' (warning)' : '';
        expect(row.cls, `class of ${c}`).to.equal(`${classOf(c)}${severity}`);
        expect(row.http, `HTTP status of ${c}`).to.equal(String(httpStatusOf(c)));
        expect(row.meaning, `meaning of ${c}`).to.not.equal('');
      }
    });

    it('explains every class in the README legend', () => {
      const section = readmeSection(readme, 'Finding and error codes');
      const classes = new Set(CODES.map(classOf));
      for (const cls of classes) expect(section, `legend row of ${cls}`).to.include(`| \`${cls}\` |`);
    });

    it('knows every code the README mentions (a prefix followed by * names at least one code)', () => {
      const unknown: string[] = [];
      for (const m of readme.matchAll(/BERTH_E_[A-Z0-9_]*/g)) {
        const text = m[0];
        const prefix = text.endsWith('_') || readme[m.index + text.length] === '*';
        if (prefix ? !CODES.some((c) => c.startsWith(text)) : !isCode(text)) unknown.push(text);
      }
      expect(unknown).to.deep.equal([]);
    });
  });

  describe('properties and their accessors', () => {
    it('gives every code a summary and an HTTP status between 400 and 599', () => {
      for (const c of CODES) {
        expect(summaryOf(c), c).to.be.a('string').and.not.equal('');
        expect(httpStatusOf(c), c).to.be.within(400, 599);
      }
    });

    it('takes the HTTP status from the class unless the entry gives its own', () => {
      const defaults: Partial<Record<CodeClass, number>> = {
        input: 400,
        'not-applicable': 422,
        usage: 400,
        machine: 500,
        server: 500,
      };
      for (const c of CODES) {
        const expected = entry(c).http ?? defaults[classOf(c)];
        expect(httpStatusOf(c), c).to.equal(expected);
      }
      expect(httpStatusOf('BERTH_E_TOO_LARGE')).to.equal(413);
      expect(httpStatusOf('BERTH_E_TOO_MANY_ENTRIES')).to.equal(413);
      expect(httpStatusOf('BERTH_E_DICOM_MODALITY')).to.equal(422);
      expect(httpStatusOf('BERTH_E_VALUE_CONSTRAINT')).to.equal(400);
      expect(httpStatusOf('BERTH_E_HTTP_TIMEOUT')).to.equal(504);
    });

    it('classes as server faults what the gateway answers 500 whatever step threw it', () => {
      for (const c of [
        'BERTH_E_IO',
        'BERTH_E_INTERNAL',
        'BERTH_E_DRIVER_UNAVAILABLE',
        'BERTH_E_NO_COMMAND',
      ] as const) {
        expect(classOf(c), c).to.equal('server');
        expect(httpStatusOf(c), c).to.equal(500);
      }
    });

    it('gives every outcome-class code its own status (the class has no default)', () => {
      for (const c of codesOfClass('outcome')) expect(entry(c).http, c).to.be.a('number');
    });

    it('classes only the DICOM constraint codes as not applicable', () => {
      expect(codesOfClass('not-applicable').every((c) => c.startsWith('BERTH_E_DICOM_'))).to.equal(true);
      expect(isNotApplicableCode('BERTH_E_DICOM_SOP_CLASS')).to.equal(true);
      expect(isNotApplicableCode('BERTH_E_DICOM_PARSE')).to.equal(false);
      expect(isNotApplicableCode('BERTH_E_HTTP_NOT_APPLICABLE')).to.equal(false);
    });

    it('marks the scan codes of a DICOM file that is there but unusable as broken DICOM files', () => {
      expect(CODES.filter(isBrokenDicomCode).sort()).to.deep.equal(
        [
          'BERTH_E_NOT_PART10',
          'BERTH_E_TRUNCATED',
          'BERTH_E_NO_TRANSFER_SYNTAX',
          'BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX',
          'BERTH_E_MISSING_ATTRIBUTE',
          'BERTH_E_PIXEL_LENGTH',
          'BERTH_E_DICOM_PARSE',
        ].sort(),
      );
    });

    it("builds findings with the code's default severity and summary unless told otherwise", () => {
      expect(defaultSeverityOf('BERTH_E_SCHEMA_EMPTY')).to.equal('warning');
      expect(finding('BERTH_E_SCHEMA_EMPTY')).to.deep.equal({
        code: 'BERTH_E_SCHEMA_EMPTY',
        severity: 'warning',
        message: summaryOf('BERTH_E_SCHEMA_EMPTY'),
      });
      expect(finding('BERTH_E_ENUM_EMPTY').severity).to.equal('error');
      expect(finding('BERTH_E_SCHEMA_EMPTY', 'x', { severity: 'error' }).severity).to.equal('error');
    });

    it('uses the summary as the message of an error without detail', () => {
      expect(new BerthError('BERTH_E_EMPTY').message).to.equal(summaryOf('BERTH_E_EMPTY'));
      expect(isCode('BERTH_E_EMPTY')).to.equal(true);
      expect(isCode('BERTH_E_NOPE')).to.equal(false);
      expect(isCode('toString')).to.equal(false);
    });
  });
});
