/**
 * A streaming reader of the DICOM Upper Layer PDUs (PS3.8 §9.3) a socket receives: P-DATA-TF PDUs
 * are cut into their PDV items and each PDV's value is handed on as slices of the socket's own
 * chunks, never gathered nor copied (a data set goes from the socket to the file as it came); every
 * other PDU is handed on whole, in a buffer of its own. dcmjs-dimse gathers each PDU by concatenating every chunk received
 * so far, then copies it twice more: two thirds of the receiver's time and most of its garbage.
 */
import { PDU } from './scu-pdu.js';

/** The largest PDU other than P-DATA-TF gathered whole (an A-ASSOCIATE-RQ is a few KB). */
const MAX_CONTROL_PDU_BYTES = 1024 * 1024;

export interface PduHandlers {
  /** A whole PDU other than P-DATA-TF, its 6-byte header included. */
  readonly pdu: (pdu: Buffer) => void;
  /**
   * A slice of one PDV's value (`control`: its message control header, bit 0 command, bit 1 last
   * fragment); `pdvEnd` with the slice that ends the PDV (an empty slice for an empty PDV). A view
   * of the pushed chunk, valid during the call only when the chunk's buffer is reused.
   */
  readonly pdv: (contextId: number, control: number, bytes: Buffer, pdvEnd: boolean) => void;
  /** The bytes are not a PDU stream; the reader reads nothing more. */
  readonly error: (e: Error) => void;
}

type State = 'pdu-head' | 'control-body' | 'pdv-head' | 'pdv-value' | 'failed';

const KNOWN_PDUS = new Set<number>(Object.values(PDU));

export class PduReader {
  private state: State = 'pdu-head';
  /** Bytes of a header (PDU: 6, PDV item: 6) or of a control PDU, gathered across chunks. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private need = 6;
  /** Bytes of the current P-DATA-TF not read yet. */
  private pduLeft = 0;
  /** Bytes of the current PDV's value not read yet. */
  private valueLeft = 0;
  private contextId = 0;
  private control = 0;

  constructor(private readonly on: PduHandlers) {}

  /** Reads one chunk of the socket's bytes. */
  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.state !== 'failed') {
      if (this.state === 'pdv-value') {
        const n = Math.min(this.valueLeft, chunk.length - pos);
        this.valueLeft -= n;
        this.pduLeft -= n;
        const slice = chunk.subarray(pos, pos + n);
        pos += n;
        this.pdvSlice(slice);
        continue;
      }
      const n = Math.min(this.need - this.heldBytes, chunk.length - pos);
      // A copy: the chunk may be the socket's own buffer, refilled by the next read (read-buffer.ts).
      this.held.push(Buffer.from(chunk.subarray(pos, pos + n)));
      this.heldBytes += n;
      pos += n;
      if (this.heldBytes === this.need) this.complete(Buffer.concat(this.held, this.heldBytes));
    }
  }

  private pdvSlice(slice: Buffer): void {
    const end = this.valueLeft === 0;
    if (end) this.next(this.pduLeft > 0 ? 'pdv-head' : 'pdu-head');
    this.on.pdv(this.contextId, this.control, slice, end);
  }

  /** What was held is complete: a PDU header, a PDV item header or a control PDU. */
  private complete(bytes: Buffer): void {
    if (this.state === 'pdu-head') this.pduHead(bytes);
    else if (this.state === 'pdv-head') this.pdvHead(bytes);
    else {
      this.next('pdu-head');
      this.on.pdu(bytes);
    }
  }

  private pduHead(head: Buffer): void {
    const type = head[0] as number;
    const length = head.readUInt32BE(2);
    if (!KNOWN_PDUS.has(type)) return this.fail(`Unknown PDU type ${type}`);
    if (type !== PDU.pData) {
      if (length > MAX_CONTROL_PDU_BYTES) return this.fail(`A PDU of type ${type} has ${length} bytes`);
      this.next('control-body', 6 + length);
      this.held = [head];
      this.heldBytes = 6;
      if (length === 0) this.complete(head);
      return;
    }
    this.pduLeft = length;
    this.next(length > 0 ? 'pdv-head' : 'pdu-head');
  }

  private pdvHead(head: Buffer): void {
    const itemLength = head.readUInt32BE(0);
    if (itemLength < 2 || itemLength + 4 > this.pduLeft) {
      return this.fail(`A PDV item of ${itemLength} bytes does not fit its P-DATA-TF`);
    }
    this.contextId = head[4] as number;
    this.control = head[5] as number;
    this.pduLeft -= 6;
    this.valueLeft = itemLength - 2;
    this.next('pdv-value');
    if (this.valueLeft === 0) this.pdvSlice(Buffer.alloc(0));
  }

  private next(state: State, need = 6): void {
    this.state = state;
    this.held = [];
    this.heldBytes = 0;
    this.need = need;
  }

  private fail(message: string): void {
    this.state = 'failed';
    this.on.error(new Error(message));
  }
}
