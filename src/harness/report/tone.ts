/**
 * How each outcome looks in a report: a tone (its color family) and a short label, shared by the
 * terminal and HTML reports.
 */
import type { Outcome } from '../outcome.js';

/** The color family of an outcome. */
export type Tone = 'pass' | 'differ' | 'fail' | 'case';

/** Tone and label of every outcome. */
export const OUTCOME_LOOK: Record<Outcome, { tone: Tone; label: string }> = {
  passed: { tone: 'pass', label: 'PASSED' },
  'failed-compare': { tone: 'differ', label: 'FAILED COMPARE' },
  'invalid-output': { tone: 'fail', label: 'INVALID OUTPUT' },
  'machine-error': { tone: 'fail', label: 'MACHINE ERROR' },
  timeout: { tone: 'fail', label: 'TIMEOUT' },
  killed: { tone: 'fail', label: 'KILLED' },
  // The case, not the machine, is at fault: a calmer color.
  'not-applicable': { tone: 'case', label: 'NOT APPLICABLE' },
  'invalid-input': { tone: 'case', label: 'INVALID INPUT' },
};
