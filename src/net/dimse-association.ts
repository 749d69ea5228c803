/**
 * One DICOM association on one socket: a dcmjs-dimse `Scp` whose store hooks stream each C-STORE
 * data set straight into the association's staging batch (berth writes the Part 10 meta; the data
 * set bytes are kept as received, private tags included). A-RELEASE commits the batch before the
 * release response; A-ABORT, a lost socket or an idle timeout discard it and destroy the socket.
 */
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import dimse from 'dcmjs-dimse';
import type { association as dimseAssociation, requests, responses } from 'dcmjs-dimse';
import { isBerthError, toBerthError, type Code } from '../errors.js';
import { negotiate } from './negotiate.js';
import type { ReceiveEventSink } from './receive-events.js';
import type { InstanceWriter, ListenSink, StagingBatch } from './sink.js';

const { Scp, Dataset, constants } = dimse;
const { CEchoResponse, CStoreResponse } = dimse.responses;
const { PresentationContextResult: PCR, RejectResult, RejectSource, RejectReason } = constants;

type Association = dimseAssociation.Association;
type PresentationContext = dimseAssociation.PresentationContext;

/** The largest PDU berth accepts (dcmjs-dimse's own limit). */
const MAX_PDU_BYTES = 262_144;

/** C-STORE statuses (PS3.4 B.2.3). */
const STATUS = { success: 0x0000, outOfResources: 0xa700, doesNotMatch: 0xa900, cannotUnderstand: 0xc000 };

/** What every association of one server shares. */
export interface AssociationContext {
  readonly sink: ListenSink;
  readonly aet: string;
  /** Calling AE titles allowed; undefined: any. */
  readonly allowAet: ReadonlySet<string> | undefined;
  readonly maxAssociations: number;
  /** Associations accepted and not yet ended. */
  readonly active: Set<ReceiverScp>;
  /** The last watermark reading (refreshed by the server). */
  readonly isFull: () => boolean;
  readonly onEvent: ReceiveEventSink;
}

/** The dcmjs-dimse options of an association: berth's idle timeout everywhere. */
export function scpOptions(idleTimeoutMs: number) {
  return { connectTimeout: idleTimeoutMs, associationTimeout: idleTimeoutMs, pduTimeout: idleTimeoutMs };
}

interface CurrentStore {
  readonly writer: InstanceWriter | undefined;
  /** The status to answer, once the instance is on disk (or refused). */
  status?: Promise<{ status: number; comment?: string }>;
}

export class ReceiverScp extends Scp {
  private batch: StagingBatch | undefined;
  private current: CurrentStore | undefined;
  private ended = false;
  private readonly remote: string;
  private callingAet = '';

  constructor(
    private readonly sock: Socket,
    idleTimeoutMs: number,
    private readonly ctx: AssociationContext,
  ) {
    super(sock, scpOptions(idleTimeoutMs));
    // As dcmjs-dimse's own Server does: its PDU timeout only runs on a connected network.
    (this as unknown as { connected: boolean }).connected = true;
    this.remote = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
    // The socket is berth's: any network fault ends the association (trap 3 of the network note).
    this.on('networkError', () => this.sock.destroy());
    this.on('close', () => void this.end('the connection closed without A-RELEASE'));
  }

  override associationRequested(association: Association): void {
    void this.admit(association).catch((e: unknown) => {
      this.ctx.onEvent({ event: 'receiver-error', protocol: 'dimse', message: toBerthError(e).message });
      this.sock.destroy();
    });
  }

  private async admit(association: Association): Promise<void> {
    this.callingAet = association.getCallingAeTitle().trim();
    const calledAet = association.getCalledAeTitle().trim();
    const refusal = this.refusal(calledAet);
    if (refusal) {
      this.sendAssociationReject(refusal.result, refusal.source, refusal.reason);
      this.ctx.onEvent({
        event: 'association-rejected',
        remote: this.remote,
        callingAet: this.callingAet,
        calledAet,
        code: refusal.code,
      });
      this.sock.end();
      return;
    }
    for (const { id, context } of association.getPresentationContexts()) acceptContext(id, context);
    // What berth receives at most per PDU (dcmjs-dimse would answer the SCU's own receive limit,
    // often 16 KB: ten thousand PDUs for a study, each costing a parse).
    association.setMaxPduLength(MAX_PDU_BYTES);
    this.ctx.active.add(this);
    this.batch = await this.ctx.sink.open({
      protocol: 'dimse',
      callingAet: this.callingAet,
      remote: this.remote,
    });
    this.sendAssociationAccept();
    this.ctx.onEvent({
      event: 'association-accepted',
      remote: this.remote,
      callingAet: this.callingAet,
      batch: this.batch.id,
    });
  }

  private refusal(calledAet: string) {
    const aet = (reason: number) => ({
      result: RejectResult.Permanent,
      source: RejectSource.ServiceUser,
      reason,
      code: 'BERTH_E_LISTEN_RECEIVE_AET' as Code,
    });
    const busy = (reason: number, code: Code) => ({
      result: RejectResult.Transient,
      source: RejectSource.ServiceProviderPresentation,
      reason,
      code,
    });
    if (calledAet !== this.ctx.aet) return aet(RejectReason.CalledAeNotRecognized);
    if (this.ctx.allowAet && !this.ctx.allowAet.has(this.callingAet))
      return aet(RejectReason.CallingAeNotRecognized);
    if (this.ctx.isFull()) return busy(RejectReason.TemporaryCongestion, 'BERTH_E_LISTEN_RECEIVE_FULL');
    if (this.ctx.active.size >= this.ctx.maxAssociations) {
      return busy(RejectReason.LocalLimitExceeded, 'BERTH_E_LISTEN_RECEIVE_BUSY');
    }
    return undefined;
  }

  override associationReleaseRequested(): void {
    void this.commit().then(
      () => this.sendAssociationReleaseResponse(),
      (e: unknown) => {
        this.ctx.onEvent({ event: 'receiver-error', protocol: 'dimse', message: toBerthError(e).message });
        this.sendAbort();
        this.sock.destroy();
      },
    );
  }

  /** Commits the batch (a clean release, or berth itself ending the association while draining). */
  async commit(): Promise<void> {
    const batch = this.batch;
    if (this.ended || !batch) return;
    this.ended = true;
    this.ctx.active.delete(this);
    const { groups } = await batch.commit();
    this.ctx.onEvent({
      event: 'batch-committed',
      batch: batch.id,
      groups: groups.map((g) => g.key),
      instances: groups.reduce((n, g) => n + g.instances.length, 0),
    });
  }

  /** The peer aborted, went silent or away: drop what it staged. */
  private async end(reason: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.ctx.active.delete(this);
    this.sock.destroy();
    await this.current?.writer?.abandon();
    if (!this.batch) return;
    await this.batch.discard();
    this.ctx.onEvent({ event: 'batch-discarded', batch: this.batch.id, reason });
  }

  override abort(): void {
    void this.end('the peer sent A-ABORT');
  }

  /** berth ends the association (drain timeout): what it acknowledged is committed, then A-ABORT. */
  async shutdown(): Promise<void> {
    await this.commit().catch(() => undefined);
    this.sendAbort();
    this.sock.destroy();
  }

  override cEchoRequest(
    request: requests.CEchoRequest,
    callback: (response: responses.CEchoResponse) => void,
  ): void {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(STATUS.success);
    this.ctx.onEvent({ event: 'echo', remote: this.remote, callingAet: this.callingAet });
    callback(response);
  }

  override createStoreWritableStream(
    context: PresentationContext,
    request: requests.CStoreRequest,
  ): Writable {
    if (!this.batch || this.ended || this.ctx.isFull()) {
      this.current = { writer: undefined };
      return discardingStream();
    }
    const writer = this.batch.write({
      sopInstanceUid: request.getAffectedSopInstanceUid(),
      sopClassUid: request.getAffectedSopClassUid(),
      transferSyntaxUid: context.getAcceptedTransferSyntaxUid(),
    });
    this.current = { writer };
    return withSocketBackpressure(writer.stream, this.sock);
  }

  override createDatasetFromStoreWritableStream(
    _writable: Writable,
    context: PresentationContext,
    callback: (dataset: InstanceType<typeof Dataset>) => void,
  ): void {
    const current = this.current;
    if (current) current.status = this.statusOf(current.writer);
    // dcmjs-dimse only hands this on to cStoreRequest: the data set stays on disk, never parsed here.
    callback(new Dataset({}, context.getAcceptedTransferSyntaxUid()));
  }

  private async statusOf(writer: InstanceWriter | undefined): Promise<{ status: number; comment?: string }> {
    if (!writer)
      return { status: STATUS.outOfResources, comment: 'berth refuses new instances: its spool is full' };
    try {
      const instance = await writer.finish();
      this.ctx.onEvent({
        event: 'instance-received',
        protocol: 'dimse',
        batch: this.batch?.id ?? '',
        sopInstanceUid: instance.sopInstanceUid,
        bytes: instance.bytes,
      });
      return { status: STATUS.success };
    } catch (e) {
      const err = isBerthError(e) ? e : toBerthError(e, 'BERTH_E_IO');
      this.ctx.onEvent({
        event: 'instance-refused',
        protocol: 'dimse',
        batch: this.batch?.id ?? '',
        code: err.code,
        message: err.message,
      });
      return { status: storeStatusOf(err.code), comment: err.message.slice(0, 64) };
    }
  }

  override cStoreRequest(
    request: requests.CStoreRequest,
    callback: (response: responses.CStoreResponse) => void,
  ): void {
    const pending = this.current?.status ?? Promise.resolve({ status: STATUS.cannotUnderstand });
    this.current = undefined;
    void pending.then(({ status, comment }: { status: number; comment?: string }) => {
      const response = CStoreResponse.fromRequest(request);
      response.setStatus(status);
      if (comment !== undefined) response.setErrorComment(comment);
      callback(response);
    });
  }
}

/** Applies berth's negotiation policy to one proposed context, in place. */
function acceptContext(id: number, context: PresentationContext): void {
  const [decision] = negotiate([
    {
      id,
      abstractSyntaxUid: context.getAbstractSyntaxUid(),
      transferSyntaxUids: context.getTransferSyntaxUids(),
    },
  ]);
  if (decision?.result === 'accept') context.setResult(PCR.Accept, decision.transferSyntaxUid);
  else if (decision?.result === 'transfer-syntaxes-not-supported') {
    context.setResult(PCR.RejectTransferSyntaxesNotSupported);
  } else context.setResult(PCR.RejectAbstractSyntaxNotSupported);
}

/** The C-STORE status of a refused instance. */
function storeStatusOf(code: Code): number {
  if (code === 'BERTH_E_LISTEN_RECEIVE_TOO_LARGE' || code === 'BERTH_E_IO') return STATUS.outOfResources;
  if (code === 'BERTH_E_LISTEN_RECEIVE_UID_MISMATCH') return STATUS.doesNotMatch;
  return STATUS.cannotUnderstand;
}

/** A stream that takes a refused data set's bytes and keeps none. */
function discardingStream(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}

/**
 * dcmjs-dimse waits for one `drain` per data set at most, so a slow disk would let the data set pile
 * up in memory: pause the socket whenever the file stream is full, resume on its `drain`.
 */
export function withSocketBackpressure(stream: Writable, sock: Socket): Writable {
  const write = stream.write.bind(stream) as (chunk: Buffer) => boolean;
  stream.write = ((chunk: Buffer) => {
    if (!write(chunk) && !sock.isPaused()) {
      sock.pause();
      // No 'drain' comes once the stream is ending (dimse ends it right after the last fragment).
      const resume = () => {
        for (const event of ['drain', 'finish', 'close']) stream.off(event, resume);
        sock.resume();
      };
      for (const event of ['drain', 'finish', 'close']) stream.once(event, resume);
    }
    return true;
  }) as Writable['write'];
  return stream;
}
