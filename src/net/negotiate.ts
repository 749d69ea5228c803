/**
 * Presentation-context negotiation, as a pure policy: for each context the SCU proposes, accept
 * the first transfer syntax in the SCU's own order that berth reads for that abstract syntax;
 * refuse abstract syntaxes berth does not know.
 *
 * - image storage classes: every syntax berth reads the pixels of — the native ones, and each
 *   encapsulated one the codec registry decodes (src/dicom/codecs/);
 * - other storage classes (SR, KOS, presentation states, documents …) and Verification: native
 *   syntaxes only (deflate included: it compresses the data set, not pixels), never an encapsulated one.
 */
import { canDecode } from '../dicom/codecs/index.js';
import { transferSyntax } from '../dicom/transfer-syntax.js';
import { sopClassKind, type SopClassKind } from './sop-classes.js';

/** One presentation context as proposed in an A-ASSOCIATE-RQ. */
export interface ProposedContext {
  readonly id: number;
  readonly abstractSyntaxUid: string;
  /** In the SCU's order of preference. */
  readonly transferSyntaxUids: readonly string[];
}

/** berth's answer to one proposed context. */
export type ContextDecision =
  | { readonly id: number; readonly result: 'accept'; readonly transferSyntaxUid: string }
  | { readonly id: number; readonly result: 'abstract-syntax-not-supported' }
  | { readonly id: number; readonly result: 'transfer-syntaxes-not-supported' };

/** True when berth accepts data of this SOP class kind in this transfer syntax. */
export function acceptsSyntax(kind: SopClassKind, transferSyntaxUid: string): boolean {
  const ts = transferSyntax(transferSyntaxUid);
  if (!ts) return false;
  switch (kind) {
    case 'image':
      return !ts.encapsulated || canDecode(ts.uid);
    case 'non-image':
    case 'verification':
      return !ts.encapsulated;
    default: {
      const never: never = kind;
      throw new Error(`unknown SOP class kind ${String(never)}`);
    }
  }
}

/** The decision for one proposed context. */
export function negotiateContext(context: ProposedContext): ContextDecision {
  const kind = sopClassKind(context.abstractSyntaxUid);
  if (kind === undefined) return { id: context.id, result: 'abstract-syntax-not-supported' };
  const chosen = context.transferSyntaxUids.find((uid) => acceptsSyntax(kind, uid));
  return chosen === undefined
    ? { id: context.id, result: 'transfer-syntaxes-not-supported' }
    : { id: context.id, result: 'accept', transferSyntaxUid: chosen };
}

/** The decisions for every proposed context of an association, in order. */
export function negotiate(contexts: readonly ProposedContext[]): ContextDecision[] {
  return contexts.map(negotiateContext);
}
