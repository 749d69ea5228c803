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
  tooLong: /** @type {{ file: string, rules: ('max-lines' | 'max-lines-per-function')[] }[]} */ ([
    // checkFolder (170 lines): split into steps when the DICOM folder rules move to dicom/ (issue 13 item 2).
    { file: 'src/check/dicom-folder.ts', rules: ['max-lines-per-function'] },
    // compareDicom (89 lines): the comparison facet of issue 13 item 1 moves it to the DICOM kinds.
    { file: 'src/harness/compare/dicom.ts', rules: ['max-lines-per-function'] },
  ]),
};
