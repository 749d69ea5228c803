/**
 * The outcome of a run, each with its own exit code, so scripts and CI can tell them apart.
 * The order is the order of precedence when several apply (a timeout beats invalid output).
 */
export const OUTCOMES = {
  passed: { exit: 0, meaning: 'the machine ran, its outputs are valid and match the expected ones' },
  'failed-compare': {
    exit: 10,
    meaning: 'the outputs are valid but differ from the expected ones beyond tolerance',
  },
  'invalid-output': { exit: 11, meaning: 'the outputs break the schema (missing, unparsable, undeclared …)' },
  'machine-error': { exit: 12, meaning: 'the machine exited non-zero or wrote the status error file' },
  timeout: { exit: 13, meaning: 'the machine ran past its timeout and was stopped' },
  killed: { exit: 14, meaning: 'the machine was killed by a signal it did not ask for (e.g. out of memory)' },
  'not-applicable': {
    exit: 15,
    meaning: "the inputs do not meet the machine's constraints (modality, counts …)",
  },
  'invalid-input': { exit: 16, meaning: 'the inputs are broken (unparsable values, corrupt DICOM …)' },
} as const;

/** One outcome name. */
export type Outcome = keyof typeof OUTCOMES;

/** The exit code of an outcome. */
export function exitCodeOf(outcome: Outcome): number {
  return OUTCOMES[outcome].exit;
}
