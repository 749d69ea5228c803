/**
 * The findings of one DICOM entry (an image file, a series or study folder), collected against its
 * property; the same problem in many instances becomes one finding that counts them.
 */
import path from 'node:path';
import { finding, type BerthError, type Code, type Finding } from '../errors.js';
import type { DicomProblem } from './instance-rules.js';
import type { DicomHeader } from './scan.js';

/** Collects findings of one property; groups repeats of one problem across instances. */
export class EntryFindings {
  readonly list: Finding[] = [];
  private readonly groups = new Map<string, { first: string; count: number; problem: DicomProblem }>();

  /** `property`: the property's path, named by every finding. */
  constructor(private readonly property: string) {}

  add(code: Code, message: string, abs: string, expected?: string): void {
    this.list.push(
      finding(code, message, {
        path: abs,
        property: this.property,
        ...(expected === undefined ? {} : { expected }),
      }),
    );
  }

  /**
   * The file meta defects the scan read past (BERTH_E_DICOM_META_*), as warnings: the data set is
   * authoritative, so they never make an input broken. One finding per code, counting instances.
   */
  metaWarnings(headers: readonly DicomHeader[]): void {
    const byCode = new Map<Code, { first: string; message: string; count: number }>();
    for (const h of headers) {
      for (const w of h.warnings) {
        const g = byCode.get(w.code);
        if (g) g.count++;
        else byCode.set(w.code, { first: h.path, message: w.message, count: 1 });
      }
    }
    for (const [code, g] of byCode) {
      const message = g.count === 1 ? g.message : `${g.message} (and in ${g.count - 1} more instance(s))`;
      this.list.push(
        finding(code, message, {
          path: g.first,
          property: this.property,
          severity: 'warning',
          expected: "a file meta group naming the data set's SOP class, instance and transfer syntax",
        }),
      );
    }
  }

  error(e: BerthError, abs: string): void {
    this.add(e.code, e.detail, e.path ?? abs, e.expected);
  }

  /** One problem of one instance: the same problem in many instances becomes one finding. */
  instance(problem: DicomProblem, file: string): void {
    const key = `${problem.code}\u0000${problem.summary ?? problem.message}`;
    const g = this.groups.get(key);
    if (g) g.count++;
    else this.groups.set(key, { first: file, count: 1, problem });
  }

  /** Turns the grouped instance problems into findings (`total` instances were looked at). */
  flush(total: number): void {
    for (const { first, count, problem } of this.groups.values()) {
      const message =
        count === 1 || total <= 1
          ? problem.message
          : `${problem.summary ?? problem.message} in ${count} of ${total} instances (the first: ${path.basename(first)})`;
      this.add(problem.code, message, first, problem.expected);
    }
    this.groups.clear();
  }
}
