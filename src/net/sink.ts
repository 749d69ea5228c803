/**
 * The seam between berth's network edges (DIMSE C-STORE SCP, STOW-RS) and the node that assembles
 * and runs studies: the receivers stream instances into a `StagingBatch` the `ListenSink` opens per
 * association / request; a clean end commits the batch into the spool's groups, an abort discards it.
 */
/** One instance as received and kept on disk (the group key is its study or series UID). */
export interface ReceivedInstance {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** Size of the Part 10 file on disk (meta included). */
  readonly bytes: number;
}

/** Who feeds a batch: one association (DIMSE) or one request (STOW-RS). */
export interface BatchSource {
  readonly protocol: 'dimse' | 'stow';
  readonly callingAet?: string;
  /** `host:port` of the peer. */
  readonly remote: string;
}

export interface ListenSink {
  /** One association (DIMSE) or one request (STOW-RS): a staging batch of its own. */
  open(source: BatchSource): Promise<StagingBatch>;
  /** True when the spool's file system is above the disk watermark: refuse new work. */
  full(): Promise<boolean>;
  /** Group keys (study or series UID per --group) an open batch is feeding now. */
  feeding(): ReadonlySet<string>;
}

/** What the receiver knows before the bytes arrive (DIMSE: from the C-STORE-RQ command). */
export interface ExpectedInstance {
  readonly sopInstanceUid?: string;
  readonly sopClassUid?: string;
  /** STOW-RS to `/studies/{study}`: the study every instance must belong to. */
  readonly studyInstanceUid?: string;
  /** When the bytes are the data set only (DIMSE), the batch writes the Part 10 meta itself. */
  readonly transferSyntaxUid?: string;
}

/** One instance being written into a batch. */
export interface InstanceWriter {
  /**
   * The next bytes, as received. With `expected.transferSyntaxUid` (DIMSE) the data set bytes only:
   * the writer has already written the preamble and the File Meta Information. Without it (STOW-RS)
   * a whole Part 10 file. Written (to the page cache) before it returns: a disk that falls behind
   * holds the caller, so nothing piles up in memory, and the caller may reuse the buffer at once
   * (the DIMSE path does: the socket's read buffer). Never throws: a failed write is reported by
   * `finish()`.
   */
  write(bytes: Buffer): void;
  /**
   * After the last bytes: writes what is held, reads the header, checks the UIDs (and
   * `expected`), and keeps the instance in the batch. Rejects with a `BerthError` (the file is then
   * removed from the batch) when the bytes are not a valid instance or exceed the size limit.
   */
  finish(): Promise<ReceivedInstance>;
  /** Drop this instance's partial file (a refused or failed transfer); the batch stays open. */
  abandon(): Promise<void>;
}

/** The groups a commit merged into, each with the instances this batch brought to it. */
export interface CommittedGroup {
  /** StudyInstanceUID, or SeriesInstanceUID with `--group series`. */
  readonly key: string;
  readonly instances: readonly ReceivedInstance[];
}
export interface CommittedGroups {
  readonly groups: readonly CommittedGroup[];
}

export interface StagingBatch {
  readonly id: string;
  /** One instance to write into the batch (synchronous: the DIMSE path writes as the socket reads). */
  write(expected?: ExpectedInstance): InstanceWriter;
  /** Clean end (A-RELEASE / STOW response): merge into the groups atomically, then report them. */
  commit(): Promise<CommittedGroups>;
  /** Peer abort / bad request: drop the staging folder (never touches instances merged earlier). */
  discard(): Promise<void>;
}
