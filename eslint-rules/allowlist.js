// @ts-check
/**
 * Where today's code breaks the house's guards, entry by entry, each with the issue item that
 * removes it. Everything not listed here is enforced; delete an entry once its cause is fixed.
 */
export const houseAllowlist = {
  /** Imports that point upward: `file` imports `imports` from a layer above its own. None today. */
  upward: /** @type {{ file: string, imports: string[] }[]} */ ([]),
  /** Import edges left out of the cycle check (type-only imports count). */
  cycles: /** @type {{ from: string, to: string }[]} */ ([]),
  /**
   * Files outside src/kinds/ that still test kind names (`p.kind === '…'`, `case '<kind>':` on
   * `.kind`, `KindName[]`): each moves to src/kinds/ in issue 13 item 1.
   */
  kindLiterals: [],
  /**
   * Files over the size guards (`max-lines` 400, `max-lines-per-function` 80, blank lines and comments
   * not counted) that other work splits: each rule listed is off in that file until then.
   */
  tooLong: /** @type {{ file: string, rules: ('max-lines' | 'max-lines-per-function')[] }[]} */ ([]),
};
