/**
 * What the receivers report as they work, one event per thing that happened, for the node's
 * structured log (one line per event). Fields are plain data; `code` is a catalogued error code.
 */
import type { Code } from '../errors.js';

export type ReceiveEvent =
  | {
      readonly event: 'association-accepted';
      readonly remote: string;
      readonly callingAet: string;
      readonly batch: string;
    }
  | {
      readonly event: 'association-rejected';
      readonly remote: string;
      readonly callingAet: string;
      readonly calledAet: string;
      readonly code: Code;
    }
  | { readonly event: 'echo'; readonly remote: string; readonly callingAet: string }
  | {
      readonly event: 'instance-received';
      readonly protocol: 'dimse' | 'stow';
      readonly batch: string;
      readonly sopInstanceUid: string;
      readonly bytes: number;
    }
  | {
      readonly event: 'instance-refused';
      readonly protocol: 'dimse' | 'stow';
      readonly batch: string;
      readonly code: Code;
      readonly message: string;
    }
  | {
      readonly event: 'batch-committed';
      readonly batch: string;
      readonly groups: readonly string[];
      readonly instances: number;
    }
  | { readonly event: 'batch-discarded'; readonly batch: string; readonly reason: string }
  | { readonly event: 'receiver-error'; readonly protocol: 'dimse' | 'stow'; readonly message: string };

/** Where events go (the node's logger); ignored when not given. */
export type ReceiveEventSink = (event: ReceiveEvent) => void;
