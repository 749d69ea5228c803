import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { DockerfileParser, type Label } from 'dockerfile-ast';
import fc from 'fast-check';
import { isBerthError, type Code } from '../../src/errors.js';
import { loadDockerfileLabels, manifestFromDockerfile } from '../../src/manifest/dockerfile.js';
import {
  decodeLabelValue,
  parseLabelValue,
  unescapeLabelText,
  escapeLabelText,
} from '../../src/manifest/label-value.js';
import { emitLabels } from '../../src/manifest/labels-emit.js';
import { fixture } from '../support/paths.js';
import { codeOf } from '../support/codes.js';

const read = (name: string): string => readFileSync(fixture('dockerfiles', name), 'utf8');

/** The value Docker would store for one label of a Dockerfile text. */
function valueOf(text: string, name = 'com.envoyai.x'): string | undefined {
  return loadDockerfileLabels(text, 'Dockerfile').labels.get(name)?.value;
}

describe('Dockerfile LABELs: what Docker stores (BuildKit lexer rules)', () => {
  it('inside double quotes consumes the escape only before ", $ and itself; \\n stays backslash-n', () => {
    expect(valueOf('LABEL com.envoyai.x="a\\"b \\\\ c \\$d \\n e \\t f \\x"')).to.equal(
      'a"b \\ c $d \\n e \\t f \\x',
    );
  });
  it('outside quotes the escape always escapes the next character', () => {
    expect(valueOf('LABEL com.envoyai.x=a\\nb\\ c\\"d\\\\')).to.equal('anb c"d\\');
  });
  it('single quotes keep everything, and quoted parts join with the word', () => {
    expect(valueOf('LABEL com.envoyai.x=\'a\\n$b \\"\'"c"d')).to.equal('a\\n$b \\"cd');
  });
  it('a $ not followed by a name is kept', () => {
    expect(valueOf('LABEL com.envoyai.x="5$ and $ and $. $"')).to.equal('5$ and $ and $. $');
  });
  it('refuses build-time variables in berth labels, ignores them in other labels', () => {
    for (const v of ['$HOME', '${X}', '${X:-d}', '$1', '$@', '$$', 'a$é']) {
      expect(
        codeOf(() => valueOf(`LABEL com.envoyai.x="${v}"`)),
        v,
      ).to.equal('BERTH_E_LABEL_VALUE');
    }
    expect(valueOf('LABEL version=$VERSION com.envoyai.x=1')).to.equal('1');
    expect(valueOf('LABEL $PREFIX.x=1 com.envoyai.x=2')).to.equal('2');
  });
  it('joins continuation lines, keeping their leading whitespace; skips comment and blank lines', () => {
    const text =
      'LABEL com.envoyai.x="a\\\n  b\\\n# comment\\\n\t# indented comment\n\n   \nc  \\  \t\n\\\nd"\n';
    expect(valueOf(text)).to.equal('a  bc  d');
  });
  it('a continuation line starting with a non-ASCII space and # is a comment too (Go unicode.IsSpace)', () => {
    expect(valueOf('LABEL com.envoyai.x="a\\\n\u00a0# c\\\n b"')).to.equal('a b');
  });
  it('reads CRLF files like LF files', () => {
    const lf = read('envoyai-reference.Dockerfile');
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(manifestFromDockerfile(crlf, 'D').document).to.deep.equal(
      manifestFromDockerfile(lf, 'D').document,
    );
  });
  it('reads several key=value pairs per LABEL and the legacy "LABEL key value" form', () => {
    const labels = loadDockerfileLabels(
      'LABEL com.envoyai.a=1 "com.envoyai.b"="two words" com.envoyai.c=\nLABEL com.envoyai.d  "x y"  z \n',
      'D',
    ).labels;
    expect([...labels].map(([k, v]) => [k, v.value])).to.deep.equal([
      ['com.envoyai.a', '1'],
      ['com.envoyai.b', 'two words'],
      ['com.envoyai.c', ''],
      ['com.envoyai.d', 'x y  z'],
    ]);
  });
  it('honours # escape=` (backslashes become ordinary characters)', () => {
    const text = '# escape=`\nFROM x\nLABEL com.envoyai.x="a\\n`\n  b `" `$ `` \\\\"\n';
    expect(valueOf(text)).to.equal('a\\n  b " $ ` \\\\');
  });
  it('a directive after a comment or an instruction is only a comment', () => {
    expect(valueOf('# hello\n# escape=`\nLABEL com.envoyai.x="a\\\nb"')).to.equal('ab');
    expect(codeOf(() => valueOf('# escape=x\nLABEL com.envoyai.x=1'))).to.equal('BERTH_E_DOCKERFILE_SYNTAX');
    expect(codeOf(() => valueOf('# escape=`\n# escape=`\nLABEL com.envoyai.x=1'))).to.equal(
      'BERTH_E_DOCKERFILE_SYNTAX',
    );
  });
  it('strips a byte order mark and ignores heredoc bodies and ONBUILD', () => {
    const text =
      '\ufeffFROM x\nRUN <<-"EOT" cat\n\tLABEL com.envoyai.x=heredoc\n\tEOT\nONBUILD LABEL com.envoyai.x=onbuild\nLABEL com.envoyai.y=1\n';
    const labels = loadDockerfileLabels(text, 'D').labels;
    expect([...labels.keys()]).to.deep.equal(['com.envoyai.y']);
  });
  it('refuses what Docker refuses in berth LABELs', () => {
    const cases: Array<[string, Code]> = [
      ['LABEL com.envoyai.x="open', 'BERTH_E_DOCKERFILE_SYNTAX'],
      ["LABEL com.envoyai.x='open", 'BERTH_E_DOCKERFILE_SYNTAX'],
      ['LABEL com.envoyai.x=1 stray', 'BERTH_E_DOCKERFILE_SYNTAX'],
      ['LABEL com.envoyai.x', 'BERTH_E_DOCKERFILE_SYNTAX'],
      ['LABEL com.envoyai.x=1\nFROM y', 'BERTH_E_DOCKERFILE_SYNTAX'],
      ['RUN <<EOF\nno end', 'BERTH_E_DOCKERFILE_SYNTAX'],
      ['LABEL com.envoyai.x="' + 'y'.repeat(70_000) + '"', 'BERTH_E_DOCKERFILE_SYNTAX'],
      // BuildKit ends the instruction after an escaped escape; buildah continues it.
      ['LABEL com.envoyai.x=a\\\\\nb', 'BERTH_E_DOCKERFILE_SYNTAX'],
    ];
    for (const [text, code] of cases)
      expect(
        codeOf(() => loadDockerfileLabels(text, 'D')),
        text.slice(0, 40),
      ).to.equal(code);
    // Other labels are not berth's business.
    expect(
      codeOf(() => loadDockerfileLabels('FROM x\nLABEL other="open\nLABEL com.envoyai.x=1', 'D')),
    ).to.equal(undefined);
  });
});

describe('Dockerfile LABELs: stages, duplicates, no labels', () => {
  it('reads the final stage plus the stages it is built FROM; warns on a label set twice in a stage', () => {
    const m = manifestFromDockerfile(read('multi-stage.Dockerfile'), 'multi-stage.Dockerfile');
    expect(m.document).to.deep.equal({
      'metadata-version': 2,
      info: { name: 'from build' },
      'schema-in': { x: { type: 'string' } },
      'schema-out': { z: { type: 'integer' } },
    });
    expect(m.findings.map((f) => [f.code, f.severity, f.line])).to.deep.equal([
      ['BERTH_E_LABEL_DUPLICATE', 'warning', 19],
    ]);
  });
  it('throws BERTH_E_NO_LABELS without com.envoyai.* labels', () => {
    expect(
      codeOf(() => manifestFromDockerfile('FROM x\nLABEL org.berth.berth=1 maintainer=me\n', 'D')),
    ).to.equal('BERTH_E_NO_LABELS');
    expect(codeOf(() => manifestFromDockerfile('', 'D'))).to.equal('BERTH_E_NO_LABELS');
  });
  it('keeps unknown com.envoyai.* keys; warns about unknown org.berth.* labels', () => {
    const m = manifestFromDockerfile(
      'LABEL com.envoyai.metadata-version=2 com.envoyai.extra=1 org.berth.nope=2',
      'D',
    );
    expect(m.document).to.deep.equal({ 'metadata-version': 2, extra: 1 });
    expect(m.findings.map((f) => f.code)).to.deep.equal(['BERTH_E_MANIFEST_UNKNOWN_KEY']);
  });
});

describe('Dockerfile LABELs: the EnvoyAI style', () => {
  it('reads the reference layout with \\n\\ continuations', () => {
    const m = manifestFromDockerfile(read('envoyai-reference.Dockerfile'), 'envoyai-reference.Dockerfile');
    expect(m.format).to.equal('dockerfile');
    expect(m.findings).to.deep.equal([]);
    expect(m.document).to.deep.equal({
      'metadata-version': 2,
      info: {
        name: 'Lung nodule finder',
        title: 'Finds lung nodules',
        author: 'A. Developer',
        'release-version': '1.0.0',
      },
      'schema-in': { 'dicom-study-in': { 'dicom-type': 'dicom-study', title: 'Chest CT' } },
      'schema-out': {
        'nodule-count': { type: 'integer', minimum: 0 },
        'report.pdf': { 'mime-type': 'application/pdf', nullable: true },
      },
      nvidia: true,
      timeout: 90,
      'dicom-tags': ['PatientAge', 'PatientSex'],
    });
  });
  it('maps document paths to the Dockerfile lines they are written on', () => {
    const m = manifestFromDockerfile(read('envoyai-reference.Dockerfile'), 'D');
    expect(m.lineOf(['metadata-version'])).to.equal(4);
    expect(m.lineOf(['info'])).to.equal(6);
    expect(m.lineOf(['info', 'name'])).to.equal(7);
    expect(m.lineOf(['info', 'release-version'])).to.equal(10);
    expect(m.lineOf(['schema-in', 'dicom-study-in'])).to.equal(13);
    expect(m.lineOf(['schema-in', 'dicom-study-in', 'title'])).to.equal(15);
    expect(m.lineOf(['schema-out', 'report.pdf', 'nullable'])).to.equal(23);
    expect(m.lineOf(['timeout'])).to.equal(25);
    expect(m.lineOf(['dicom-tags', 1])).to.equal(29);
    expect(m.lineOf(['nope'])).to.equal(undefined);
  });
  it('reads JSON values, single quotes, legacy forms, comments and tabs', () => {
    const json = manifestFromDockerfile(read('json-labels.Dockerfile'), 'D').document;
    expect(json).to.deep.equal({
      'metadata-version': 2,
      info: { name: 'json machine', title: 'Costs 5$ \\ line\nbreak' },
      'schema-in': { x: { type: 'string', pattern: '^\\d+$' } },
      'schema-out': { y: { type: 'boolean' } },
      'dicom-tags': ['PatientAge', '00100010'],
    });
    const m = manifestFromDockerfile(read('comments-tabs.Dockerfile'), 'D');
    expect(m.document).to.deep.equal({
      'metadata-version': 2,
      info: { name: 'tabbed', title: 'said "hi"', abstract: 'first\n\tsecond\n' },
      'schema-in': { a: { type: 'string', description: 'its $1 here' } },
      'schema-out': { b: { type: 'number' } },
      network: false,
    });
    expect(m.lineOf(['info', 'title'])).to.equal(9);
    expect(m.lineOf(['network'])).to.equal(15);
  });
  it('reports a bad YAML value as BERTH_E_LABEL_VALUE at its Dockerfile line', () => {
    const text = 'FROM x\nLABEL com.envoyai.info="\\\nname: a\\n\\\n  bad: [\\n\\\nx: y"\n';
    try {
      manifestFromDockerfile(text, 'D');
      expect.fail('no error');
    } catch (e) {
      expect(isBerthError(e) && e.code).to.equal('BERTH_E_LABEL_VALUE');
      expect(isBerthError(e) && e.property).to.equal('info');
      expect(isBerthError(e) && e.line).to.equal(3);
    }
  });
});

describe('label values', () => {
  it('JSON first, with no unescape; else YAML after unescaping \\n and \\\\ only', () => {
    const w = { path: 'p' };
    expect(parseLabelValue('timeout', '60', w)).to.equal(60);
    expect(parseLabelValue('x', '"a\\nb"', w)).to.equal('a\nb');
    expect(parseLabelValue('x', '{"a": "b\\\\c"}', w)).to.deep.equal({ a: 'b\\c' });
    expect(parseLabelValue('x', 'a: "b\\\\\\\\c"\\nd: \\d+', w)).to.deep.equal({ a: 'b\\c', d: '\\d+' });
    expect(parseLabelValue('nvidia', 'True', w)).to.equal(true);
    expect(parseLabelValue('x', '', w)).to.equal(null);
    // A value with real newlines was not written in the \n\ style: it is YAML as it is.
    expect(parseLabelValue('x', 'a: "x\\ny"\nb: c', w)).to.deep.equal({ a: 'x\ny', b: 'c' });
  });
  it('unescape is exactly \\n and \\\\, left to right, and escapeLabelText inverts it', () => {
    expect(unescapeLabelText('a\\nb\\\\nc\\\\\\n\\t\\')).to.equal('a\nb\\nc\\\n\\t\\');
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('\\', 'n', '\n', 'a', '"', ' ') }), (s) => {
        expect(unescapeLabelText(escapeLabelText(s))).to.equal(s);
      }),
    );
  });
  it('dicom-tags: text per line, YAML lists (failsafe, zeros kept), JSON lists', () => {
    const w = { path: 'p' };
    expect(parseLabelValue('dicom-tags', 'PatientAge\\n  PatientSex \\n\\n', w)).to.deep.equal([
      'PatientAge',
      'PatientSex',
    ]);
    expect(parseLabelValue('dicom-tags', '- PatientAge\\n- 00100010', w)).to.deep.equal([
      'PatientAge',
      '00100010',
    ]);
    expect(parseLabelValue('dicom-tags', '[PatientAge, 00100010]', w)).to.deep.equal([
      'PatientAge',
      '00100010',
    ]);
    expect(parseLabelValue('dicom-tags', '["PatientAge"]', w)).to.deep.equal(['PatientAge']);
    expect(parseLabelValue('dicom-tags', '"PatientAge\\nPatientSex"', w)).to.deep.equal([
      'PatientAge',
      'PatientSex',
    ]);
    expect(parseLabelValue('dicom-tags', '', w)).to.deep.equal([]);
    const d = decodeLabelValue('dicom-tags', 'A\\nB', { path: 'p', line: 3, lines: [3, 3, 3, 4] });
    expect(d.lineOf([1])).to.equal(4);
  });
  it('refuses hostile values with typed errors', () => {
    const w = { path: 'p' };
    expect(codeOf(() => parseLabelValue('x', '['.repeat(5000) + ']'.repeat(5000), w))).to.equal(
      'BERTH_E_TOO_DEEP',
    );
    expect(codeOf(() => parseLabelValue('x', 'a: [\\nb', w))).to.equal('BERTH_E_LABEL_VALUE');
    expect(codeOf(() => parseLabelValue('dicom-tags', '- a\\n b: [', w))).to.equal('BERTH_E_LABEL_VALUE');
  });
});

describe('dockerfile-ast agrees with berth where it is right', () => {
  it('property values of emitted LABELs (no $, which dockerfile-ast leaves escaped)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('$'));
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('info', 'schema-in', 'report'),
          fc.dictionary(text, text, { noNullPrototype: true }),
          {
            noNullPrototype: true,
          },
        ),
        (doc) => {
          const dockerfile = emitLabels(doc);
          const ours = loadDockerfileLabels(dockerfile, 'D').labels;
          const theirs = new Map<string, string | null>();
          for (const ins of DockerfileParser.parse(dockerfile).getInstructions()) {
            for (const p of (ins as Label).getProperties()) theirs.set(p.getName(), p.getValue());
          }
          expect(new Map([...ours].map(([k, v]) => [k, v.value]))).to.deep.equal(theirs);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('Dockerfile LABELs: hostile text', () => {
  it('any text gives a manifest or a BerthError, never another exception', () => {
    const pieces = fc.constantFrom(
      'FROM x\n',
      'FROM x AS a\n',
      'FROM a\n',
      'LABEL ',
      'com.envoyai.info=',
      'com.envoyai.dicom-tags=',
      'org.berth.berth=',
      '"',
      "'",
      '\\',
      '`',
      '\\n',
      '\\\n',
      '\n',
      '\r\n',
      '\r',
      ' ',
      '\t',
      '#',
      '# escape=`\n',
      '$',
      '${',
      'a: ',
      '- ',
      '[',
      '{',
      ']',
      'RUN <<EOF\n',
      'EOF\n',
      '\u00a0',
      'é',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        try {
          manifestFromDockerfile(parts.join(''), 'D');
        } catch (e) {
          expect(isBerthError(e), String(e)).to.equal(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
