/**
 * The manifest from a Dockerfile's LABEL instructions, read exactly as Docker (BuildKit) would
 * set them on the image, without building it.
 *
 * ## What Docker does to a LABEL, and where that is written
 * 1. Lines (moby/buildkit `frontend/dockerfile/parser/parser.go`, `Parse`): the file is split at
 *    `\n` only; trailing `\r` are dropped (so CRLF files read the same). An instruction's first
 *    line loses its leading whitespace; a line ending in the escape character (optionally followed
 *    by spaces/tabs) continues on the next line: the escape character and the line break are
 *    removed, nothing else. Continuation lines keep their leading whitespace (which is what lets
 *    YAML indentation survive the EnvoyAI `\n\` style); continuation lines that are comments
 *    (`#` after optional whitespace) or blank are skipped. BuildKit does not treat a line ending
 *    in an *escaped* escape (`\\`) as continued; older builders (openshift/imagebuilder, used by
 *    buildah: `dockerfile/parser/parser.go`) do. berth refuses that ambiguity inside a LABEL.
 * 2. Words (`frontend/dockerfile/parser/line_parsers.go`, `parseNameVal`/`parseWords`): LABEL
 *    takes `key=value` words split at unquoted whitespace, quotes and escapes still in place; if
 *    the first word has no `=`, the legacy `LABEL key value...` form takes the rest of the line as
 *    the value.
 * 3. Quotes and variables (`frontend/dockerfile/shell/lex.go`, `processDoubleQuote`,
 *    `processSingleQuote`, `processDollar`; applied to key and value by `LabelCommand.Expand`):
 *    inside double quotes the escape character is consumed only before `"`, `$` and itself — every
 *    other backslash stays, so `\n` stays the two characters `\` `n`; single quotes keep
 *    everything literally; outside quotes the escape character always escapes the next character.
 *    `$NAME`, `${...}`, `$1`, `$@`... are expanded from ARG/ENV values, which berth cannot know
 *    without building: such a value in a berth LABEL is refused (escape the `$` as `\$`). A `$`
 *    followed by anything else is kept.
 *
 * ## Decisions
 * - Stages: the labels of the final stage, plus those of earlier stages it is built `FROM` (by
 *   stage name, recursively), as Docker inherits them. Labels inherited from an external base
 *   image are invisible here; read the built image with `docker inspect` for those.
 *   `ONBUILD LABEL` is ignored (it applies to images built from this one).
 * - A file without any FROM is read as a fragment (what `berth labels` prints): all its LABELs count.
 *   With FROMs, a berth LABEL before the first FROM is an error, as it is for Docker.
 * - The same label set twice in one stage: the last wins (as in Docker), with a
 *   BERTH_E_LABEL_DUPLICATE warning.
 * - The `dockerfile-ast` package was evaluated and is not used for values: its `Property.getValue()`
 *   keeps `\$` (Docker gives `$`), does not remove quotes in the legacy `LABEL key "a b"` form,
 *   treats a lone `\r` as a line break (Docker does not), does not treat a continuation line that
 *   starts with a non-ASCII space and `#` as a comment, and continues after `\\`. It gets `\"`,
 *   `\\`, `\n`, `\n\` continuations, comments inside continuations, CRLF, single quotes, multiple
 *   pairs per LABEL and `# escape=` right. The scanner below follows BuildKit instead, with a
 *   source line for every character.
 */
import { BerthError, finding, type Finding } from '../errors.js';
import { EXTENSION_LABEL_PREFIX, LABEL_PREFIX, type ManifestSource } from './document.js';
import { lexWord, parseLabelPairs, TOKEN_WHITESPACE } from './dockerfile-lex.js';
import { scanInstructions, type EscapeToken, type Instruction } from './dockerfile-scan.js';
import { documentFromLabels, type LabelText } from './label-document.js';

/** One LABEL as Docker sets it on the image. */
export interface DockerfileLabel extends LabelText {
  /** The label value exactly as Docker stores it in the image config. */
  value: string;
  /** 1-based line where the label's name is written. */
  line: number;
  /** 1-based source line of every UTF-16 unit of {@link value}. */
  valueLines: readonly number[];
}

/** The berth-relevant labels of a Dockerfile's final image. */
export interface DockerfileLabels {
  /** Label name (`com.envoyai.info`, `org.berth.berth`) → value, in the order Docker sets them. */
  labels: Map<string, DockerfileLabel>;
  /** Warnings (duplicates). */
  findings: Finding[];
  /** The file's escape character (`# escape=` directive; `\` by default). */
  escapeToken: EscapeToken;
}

/** A manifest read from a Dockerfile, with the warnings found while reading it. */
export interface DockerfileManifest extends ManifestSource {
  findings: Finding[];
}

function isBerthLabel(name: string): boolean {
  return name.startsWith(LABEL_PREFIX) || name.startsWith(EXTENSION_LABEL_PREFIX);
}

interface Stage {
  name?: string;
  base: string;
  labels: Instruction[];
}

/**
 * The berth-relevant LABELs (`com.envoyai.*`, `org.berth.*`) of the image a Dockerfile builds,
 * with their values exactly as Docker would store them, and duplicate warnings.
 *
 * @throws BerthError BERTH_E_DOCKERFILE_SYNTAX for what Docker would refuse to build (in berth's
 *   LABELs), BERTH_E_LABEL_VALUE for a berth LABEL value that uses build-time variables.
 */
export function loadDockerfileLabels(text: string, path: string): DockerfileLabels {
  const { instructions, escape } = scanInstructions(text, path);
  const preamble: Stage = { base: '', labels: [] };
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'from') {
      const words = ins.args.text.split(TOKEN_WHITESPACE).filter((w) => w !== '' && !w.startsWith('--'));
      const name =
        words.length === 3 && words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
      stages.push({ base: (words[0] ?? '').toLowerCase(), labels: [], ...(name ? { name } : {}) });
    } else if (ins.keyword === 'label') {
      (stages[stages.length - 1] ?? preamble).labels.push(ins);
    }
  }

  const findings: Finding[] = [];
  const labels = new Map<string, DockerfileLabel>();
  const readStage = (stage: Stage, misplaced: boolean): void => {
    const seen = new Map<string, number>();
    for (const ins of stage.labels) {
      for (const label of readLabelInstruction(ins, escape, path)) {
        if (misplaced) {
          throw new BerthError(
            'BERTH_E_DOCKERFILE_SYNTAX',
            `LABEL ${label.name} comes before the first FROM`,
            {
              path,
              line: label.line,
              expected: 'LABEL instructions after FROM',
            },
          );
        }
        const earlier = seen.get(label.name);
        if (earlier !== undefined) {
          findings.push(
            finding(
              'BERTH_E_LABEL_DUPLICATE',
              `LABEL ${label.name} is set again (first on line ${earlier}); Docker keeps this last value`,
              { severity: 'warning', path, line: label.line },
            ),
          );
        }
        seen.set(label.name, label.line);
        labels.delete(label.name);
        labels.set(label.name, { value: label.value, line: label.line, valueLines: label.valueLines });
      }
    }
  };
  if (stages.length === 0) readStage(preamble, false);
  else {
    readStage(preamble, true);
    for (const stage of stageChain(stages)) readStage(stage, false);
  }
  return { labels, findings, escapeToken: escape };
}

/** The final stage and the earlier stages it is built FROM, ancestors first. */
function stageChain(stages: readonly Stage[]): Stage[] {
  const chain: Stage[] = [];
  let index = stages.length - 1;
  while (index >= 0) {
    const stage = stages[index];
    if (stage === undefined) break;
    chain.unshift(stage);
    const base = stage.base;
    let parent = -1;
    for (let j = index - 1; j >= 0; j--) {
      if (stages[j]?.name === base) {
        parent = j;
        break;
      }
    }
    index = parent;
  }
  return chain;
}

/** The berth-relevant labels one LABEL instruction sets, in order. */
function readLabelInstruction(
  ins: Instruction,
  escape: string,
  path: string,
): Array<{ name: string; value: string; line: number; valueLines: number[] }> {
  const pairs = parseLabelPairs(ins.args, escape);
  if (typeof pairs === 'string') {
    // Docker refuses the whole file; berth only cares when the instruction could hold its labels.
    if (!ins.args.text.includes(LABEL_PREFIX) && !ins.args.text.includes(EXTENSION_LABEL_PREFIX)) return [];
    throw new BerthError('BERTH_E_DOCKERFILE_SYNTAX', pairs, { path, line: ins.line });
  }
  const out: Array<{ name: string; value: string; line: number; valueLines: number[] }> = [];
  for (const pair of pairs) {
    const key = lexWord(pair.key, escape);
    // A label name built from variables cannot be known without building; it is not one of berth's.
    if (!('value' in key) || !isBerthLabel(key.value.text)) continue;
    const name = key.value.text;
    const line = key.value.lines[0] ?? ins.line;
    if (ins.ambiguousLine !== undefined) {
      throw new BerthError(
        'BERTH_E_DOCKERFILE_SYNTAX',
        `A line of LABEL ${name} ends in an escaped escape character (${escape}${escape}): BuildKit ends the ` +
          'instruction there, older builders (buildah, the classic builder) continue it on the next line',
        {
          path,
          line: ins.ambiguousLine,
          expected: 'a LABEL that does not end a line with a doubled escape character',
        },
      );
    }
    const value = lexWord(pair.value, escape);
    if ('error' in value) {
      throw new BerthError('BERTH_E_DOCKERFILE_SYNTAX', `LABEL ${name}: ${value.error}`, { path, line });
    }
    if ('expansion' in value) {
      throw new BerthError(
        'BERTH_E_LABEL_VALUE',
        `LABEL ${name} uses the build-time variable ${value.expansion}, whose value berth cannot know ` +
          'without building the image',
        {
          path,
          line,
          property: name,
          expected: `a literal value (write a literal $ as ${escape}$), or docker inspect of the built image`,
        },
      );
    }
    out.push({ name, value: value.value.text, line, valueLines: value.value.lines });
  }
  return out;
}

/**
 * The manifest document from a Dockerfile's LABELs: `com.envoyai.<key>` → `<key>`,
 * `org.berth.berth` → `berth`, each value decoded by `decodeLabelValue`. `lineOf` gives the
 * Dockerfile line of each key and of every node inside a YAML value.
 *
 * @throws BerthError BERTH_E_NO_LABELS when the final image has no `com.envoyai.*` LABEL, and the
 *   errors of {@link loadDockerfileLabels} and of label decoding.
 */
export function manifestFromDockerfile(text: string, path: string): DockerfileManifest {
  const { labels, findings } = loadDockerfileLabels(text, path);
  const doc = documentFromLabels(labels, path);
  return {
    document: doc.document,
    path,
    format: 'dockerfile',
    lineOf: doc.lineOf,
    findings: [...findings, ...doc.findings],
  };
}
