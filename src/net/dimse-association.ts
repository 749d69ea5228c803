/**
 * One DICOM association on one socket: a dcmjs-dimse `Scp` for association control and C-ECHO,
 * with C-STORE on berth's own path — the socket's bytes go through a {@link PduReader} and each
 * C-STORE data set's PDV slices straight into the association's staging batch (berth writes the
 * Part 10 meta; the data set bytes are kept as received, private tags included), then berth answers
 * the C-STORE-RSP itself. A-RELEASE commits the batch (once every instance received is answered)
 * before the release response; A-ABORT, a lost socket or an idle timeout discard it and destroy the
 * socket.
 */
import type { Socket } from 'node:net';
import dimse from 'dcmjs-dimse';
import type { association as dimseAssociation, requests, responses } from 'dcmjs-dimse';
import { isBerthError, toBerthError, type Code } from '../errors.js';
import { negotiate } from './negotiate.js';
import { Fragments } from './fragments.js';
import { PduReader } from './pdu-reader.js';
import { commandElements, commandUid, commandUs, cStoreRsp, cStoreRspPdu, pData } from './scu-pdu.js';
import type { ReceiveEventSink } from './receive-events.js';
import type { InstanceWriter, ListenSink, StagingBatch } from './sink.js';

const { Scp, constants } = dimse;
const { CEchoResponse } = dimse.responses;
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

/** Command set tags and values berth's C-STORE path reads (PS3.7 E.1). */
const TAG = {
  sopClass: 0x0002,
  commandField: 0x0100,
  messageId: 0x0110,
  dataSetType: 0x0800,
  sopInstance: 0x1000,
};
const C_STORE_RQ = 0x0001;
/** A command set is a few hundred bytes; far more is a peer that never ends one. */
const MAX_COMMAND_BYTES = 64 * 1024;
/** The data set of a command berth hands to dcmjs-dimse (none it accepts carries one): as a control PDU. */
const MAX_FORWARDED_BYTES = 1024 * 1024;
const NO_DATA_SET = 0x0101;

/** A C-STORE-RQ whose data set is being received. */
interface Store {
  readonly contextId: number;
  readonly request: { messageId: number; sopClass: string; sopInstance: string };
  /** Undefined when the instance is refused before its bytes (spool full, association ending). */
  readonly writer: InstanceWriter | undefined;
}

/** What berth uses of dcmjs-dimse's `Network` beyond its typings (0.3.3). */
interface DimseInternals {
  association?: Association;
  lastPduTime?: number;
  _processPdu(pdu: Buffer): Promise<void>;
}

export class ReceiverScp extends Scp {
  private batch: StagingBatch | undefined;
  private ended = false;
  /** The command fragments of the message being received. */
  private readonly command = new Fragments(MAX_COMMAND_BYTES, 'command set');
  /** Data set fragments of a command dcmjs-dimse handles (none that berth accepts today). */
  private readonly forwarded = new Fragments(
    MAX_FORWARDED_BYTES,
    'data set of a command berth does not store',
  );
  private store: Store | undefined;
  /** C-STORE data sets received whose response is not sent yet. */
  private readonly answering = new Set<Promise<void>>();
  private readonly remote: string;
  private callingAet = '';
  private readonly reader: PduReader;

  constructor(
    private readonly sock: Socket,
    idleTimeoutMs: number,
    private readonly ctx: AssociationContext,
  ) {
    super(sock, scpOptions(idleTimeoutMs));
    // As dcmjs-dimse's own Server does: its PDU timeout only runs on a connected network.
    (this as unknown as { connected: boolean }).connected = true;
    this.remote = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
    // berth reads the socket (read()): dimse gets whole PDUs for everything but C-STORE (pdu-reader.ts).
    this.reader = new PduReader({
      pdu: (pdu) => void this.net._processPdu(pdu),
      pdv: (contextId, control, bytes, pdvEnd) => this.onPdv(contextId, control, bytes, pdvEnd),
      error: () => this.sock.destroy(),
    });
    // The socket is berth's: any network fault ends the association (trap 3 of the network note).
    this.on('networkError', () => this.sock.destroy());
    this.on('close', () => void this.end('the connection closed without A-RELEASE'));
  }

  /**
   * The socket's next bytes (a buffer the socket reuses: nothing of it is kept past this call —
   * data set bytes are written, command fragments copied).
   */
  read(chunk: Buffer): void {
    this.net.lastPduTime = Date.now();
    try {
      this.reader.push(chunk);
    } catch (e) {
      // Whatever the peer sent, it ends its association, never the process.
      this.ctx.onEvent({ event: 'receiver-error', protocol: 'dimse', message: toBerthError(e).message });
      this.sock.destroy();
    }
  }

  private get net(): DimseInternals {
    return this as unknown as DimseInternals;
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
    await Promise.all(this.answering);
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
    await this.store?.writer?.abandon();
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

  private onPdv(contextId: number, control: number, bytes: Buffer, pdvEnd: boolean): void {
    const last = pdvEnd && (control & 2) !== 0;
    if ((control & 1) !== 0) {
      if (!this.gather(this.command, bytes)) return;
      if (last) this.onCommand(contextId, this.command.take());
    } else if (this.store) {
      if (bytes.length > 0) this.store.writer?.write(bytes);
      if (last) this.endStore(this.store);
    } else {
      if (!this.gather(this.forwarded, bytes)) return;
      if (pdvEnd) this.forward(pData(contextId, false, last, this.forwarded.take()));
    }
  }

  /** Keeps `bytes` in `held`, or aborts the association when that goes past its bound. */
  private gather(held: Fragments, bytes: Buffer): boolean {
    if (held.add(bytes)) return true;
    this.ctx.onEvent({
      event: 'receiver-error',
      protocol: 'dimse',
      message: `The peer sent a ${held.what} over ${held.max} bytes; the association is aborted`,
    });
    this.sendAbort();
    this.sock.destroy();
    return false;
  }

  /** A whole command set: a C-STORE-RQ starts berth's store path, any other goes to dimse. */
  private onCommand(contextId: number, command: Buffer): void {
    const elements = commandElements(command);
    if (
      commandUs(elements, TAG.commandField) !== C_STORE_RQ ||
      commandUs(elements, TAG.dataSetType) === NO_DATA_SET
    ) {
      return this.forward(pData(contextId, true, true, command));
    }
    const context = this.net.association?.getPresentationContexts().find((c) => c.id === contextId)?.context;
    if (context?.getResult() !== PCR.Accept) {
      // A data set on a context berth did not accept: the peer breaks the protocol.
      this.sendAbort();
      this.sock.destroy();
      return;
    }
    const sopClass = commandUid(elements, TAG.sopClass);
    const sopInstance = commandUid(elements, TAG.sopInstance);
    const request = {
      messageId: commandUs(elements, TAG.messageId) ?? 0,
      sopClass: sopClass ?? '',
      sopInstance: sopInstance ?? '',
    };
    if (!this.batch || this.ended || this.ctx.isFull()) {
      this.store = { contextId, request, writer: undefined };
      return;
    }
    const writer = this.batch.write({
      sopInstanceUid: sopInstance,
      sopClassUid: sopClass,
      transferSyntaxUid: context.getAcceptedTransferSyntaxUid(),
    });
    this.store = { contextId, request, writer };
  }

  /** The data set's last byte came: answer once the instance is on disk (or refused). */
  private endStore(store: Store): void {
    this.store = undefined;
    const answered = this.statusOf(store.writer).then(({ status, comment }) => {
      if (this.sock.destroyed) return;
      this.sock.write(
        comment === undefined
          ? cStoreRspPdu(store.contextId, store.request, status)
          : pData(store.contextId, true, true, cStoreRsp(store.request, status, comment)),
      );
    });
    this.answering.add(answered);
    void answered.finally(() => this.answering.delete(answered));
  }

  /** Hands a PDU berth does not handle itself to dcmjs-dimse. */
  private forward(pdu: Buffer): void {
    void this.net._processPdu(pdu);
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
      return { status: storeStatusOf(err.code), comment: err.message };
    }
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
