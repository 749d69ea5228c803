/**
 * The bytes of DICOM Upper Layer PDUs (PS3.8 §9.3) and of the C-STORE command sets (PS3.7 §9.3.1),
 * as berth's C-STORE SCU writes and reads them (A-ASSOCIATE-RQ/AC/RJ, P-DATA-TF, A-RELEASE-RQ/RP,
 * A-ABORT) and its SCP reads a C-STORE-RQ and answers it. Commands are implicit VR little endian,
 * as PS3.7 requires.
 */

export const PDU = {
  associateRq: 0x01,
  associateAc: 0x02,
  associateRj: 0x03,
  pData: 0x04,
  releaseRq: 0x05,
  releaseRp: 0x06,
  abort: 0x07,
} as const;

const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/** A presentation context berth proposes: one abstract syntax, one transfer syntax. */
export interface ProposedContext {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntax: string;
}

function item(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function pdu(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function aeField(aet: string): Buffer {
  return Buffer.from(aet.padEnd(16, ' ').slice(0, 16), 'latin1');
}

/** A-ASSOCIATE-RQ proposing `contexts`, receiving PDUs up to `maxPdu` bytes. */
export function associateRq(
  called: string,
  calling: string,
  contexts: readonly ProposedContext[],
  implementation: { classUid: string; version: string },
  maxPdu: number,
): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0); // protocol version
  aeField(called).copy(fixed, 4);
  aeField(calling).copy(fixed, 20);
  const max = Buffer.alloc(4);
  max.writeUInt32BE(maxPdu, 0);
  const parts = [
    fixed,
    item(0x10, Buffer.from(APPLICATION_CONTEXT, 'latin1')),
    ...contexts.map((c) =>
      item(
        0x20,
        Buffer.concat([
          Buffer.from([c.id, 0, 0, 0]),
          item(0x30, Buffer.from(c.abstractSyntax, 'latin1')),
          item(0x40, Buffer.from(c.transferSyntax, 'latin1')),
        ]),
      ),
    ),
    item(
      0x50,
      Buffer.concat([
        item(0x51, max),
        item(0x52, Buffer.from(implementation.classUid, 'latin1')),
        item(0x55, Buffer.from(implementation.version, 'latin1')),
      ]),
    ),
  ];
  return pdu(PDU.associateRq, Buffer.concat(parts));
}

/** What an A-ASSOCIATE-AC says: accepted context ids, and the largest PDU the peer takes (0: any). */
export interface Accepted {
  readonly contexts: ReadonlySet<number>;
  readonly maxPdu: number;
}

/** Reads the body of an A-ASSOCIATE-AC (after the 6-byte PDU header). */
export function parseAssociateAc(body: Buffer): Accepted {
  const contexts = new Set<number>();
  let maxPdu = 0;
  let pos = 68;
  while (pos + 4 <= body.length) {
    const type = body[pos]!;
    const len = body.readUInt16BE(pos + 2);
    const value = body.subarray(pos + 4, pos + 4 + len);
    if (type === 0x21 && value.length >= 4 && value[2] === 0) contexts.add(value[0]!);
    if (type === 0x50) {
      for (let p = 0; p + 4 <= value.length;) {
        const subLen = value.readUInt16BE(p + 2);
        if (value[p] === 0x51 && subLen === 4) maxPdu = value.readUInt32BE(p + 4);
        p += 4 + subLen;
      }
    }
    pos += 4 + len;
  }
  return { contexts, maxPdu };
}

/** One P-DATA-TF with one PDV: a command or data set fragment. */
export function pData(contextId: number, command: boolean, last: boolean, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head[0] = PDU.pData;
  head.writeUInt32BE(data.length + 6, 2);
  head.writeUInt32BE(data.length + 2, 6);
  head[10] = contextId;
  head[11] = (command ? 1 : 0) | (last ? 2 : 0);
  return Buffer.concat([head, data]);
}

export const RELEASE_RQ = pdu(PDU.releaseRq, Buffer.alloc(4));
export const ABORT = pdu(PDU.abort, Buffer.alloc(4));

/** One implicit VR little endian element. */
function element(tag: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

function uid(text: string): Buffer {
  return Buffer.from(text.length % 2 ? `${text}\0` : text, 'latin1');
}

function us(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n, 0);
  return b;
}

/** A command set: its elements in tag order after the group length (0000,0000). */
function commandSet(elements: readonly Buffer[]): Buffer {
  const rest = Buffer.concat(elements);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(rest.length, 0);
  return Buffer.concat([element(0x00000000, length), rest]);
}

/** The command set of a C-STORE-RQ with a data set. */
export function cStoreRq(messageId: number, sopClass: string, sopInstance: string): Buffer {
  return commandSet([
    element(0x00000002, uid(sopClass)),
    element(0x00000100, us(0x0001)), // C-STORE-RQ
    element(0x00000110, us(messageId)),
    element(0x00000700, us(0)), // medium priority
    element(0x00000800, us(0x0000)), // a data set follows
    element(0x00001000, uid(sopInstance)),
  ]);
}

/** The command set of the C-STORE-RSP to a request, with an Error Comment (0000,0902) if given. */
export function cStoreRsp(
  request: { messageId: number; sopClass: string; sopInstance: string },
  status: number,
  comment?: string,
): Buffer {
  const text = comment === undefined ? undefined : comment.slice(0, 64);
  return commandSet([
    element(0x00000002, uid(request.sopClass)),
    element(0x00000100, us(0x8001)), // C-STORE-RSP
    element(0x00000120, us(request.messageId)),
    element(0x00000800, us(0x0101)), // no data set
    element(0x00000900, us(status)),
    ...(text === undefined
      ? []
      : [element(0x00000902, Buffer.from(text.length % 2 ? `${text} ` : text, 'latin1'))]),
    element(0x00001000, uid(request.sopInstance)),
  ]);
}

/** (0000,0100) C-STORE-RSP, (0000,0120), (0000,0800) no data set, (0000,0900): 10 bytes each. */
const RSP_MIDDLE = Buffer.concat([
  element(0x00000100, us(0x8001)),
  element(0x00000120, us(0)),
  element(0x00000800, us(0x0101)),
  element(0x00000900, us(0)),
]);

/**
 * The whole P-DATA-TF of a C-STORE-RSP without Error Comment — the same bytes as
 * `pData(contextId, true, true, cStoreRsp(request, status))` — in one buffer from a template with
 * the UIDs, message id and status patched in: the SCP sends one per instance, as soon as it can.
 */
export function cStoreRspPdu(
  contextId: number,
  request: { messageId: number; sopClass: string; sopInstance: string },
  status: number,
): Buffer {
  const classLength = request.sopClass.length + (request.sopClass.length % 2);
  const instanceLength = request.sopInstance.length + (request.sopInstance.length % 2);
  const commandLength = 12 + 8 + classLength + RSP_MIDDLE.length + 8 + instanceLength;
  const out = Buffer.alloc(12 + commandLength);
  out[0] = PDU.pData;
  out.writeUInt32BE(commandLength + 6, 2);
  out.writeUInt32BE(commandLength + 2, 6);
  out[10] = contextId;
  out[11] = 3; // command, last fragment
  let pos = 12;
  out.writeUInt32LE(4, pos + 4); // (0000,0000) group length, UL
  out.writeUInt32LE(commandLength - 12, pos + 8);
  pos += 12;
  pos = uidElement(out, pos, 0x0002, request.sopClass, classLength);
  RSP_MIDDLE.copy(out, pos);
  out.writeUInt16LE(request.messageId, pos + 18);
  out.writeUInt16LE(status, pos + 38);
  pos += RSP_MIDDLE.length;
  uidElement(out, pos, 0x1000, request.sopInstance, instanceLength);
  return out;
}

/** Writes a (0000,xxxx) UI element at `pos` of a zeroed buffer (padding: the zero left); its end. */
function uidElement(out: Buffer, pos: number, element: number, text: string, length: number): number {
  out.writeUInt16LE(element, pos + 2);
  out.writeUInt32LE(length, pos + 4);
  out.write(text, pos + 8, 'latin1');
  return pos + 8 + length;
}

/** The elements of a command set by tag (group 0000 in the high half); a truncated one ends it. */
export function commandElements(command: Buffer): Map<number, Buffer> {
  const elements = new Map<number, Buffer>();
  for (let pos = 0; pos + 8 <= command.length;) {
    const tag = ((command.readUInt16LE(pos) << 16) | command.readUInt16LE(pos + 2)) >>> 0;
    const len = command.readUInt32LE(pos + 4);
    if (pos + 8 + len > command.length) break;
    elements.set(tag, command.subarray(pos + 8, pos + 8 + len));
    pos += 8 + len;
  }
  return elements;
}

/** A US element of a command set; undefined when absent or not 2 bytes. */
export function commandUs(elements: ReadonlyMap<number, Buffer>, tag: number): number | undefined {
  const value = elements.get(tag);
  return value?.length === 2 ? value.readUInt16LE(0) : undefined;
}

/** A UI element of a command set, without its padding. */
export function commandUid(elements: ReadonlyMap<number, Buffer>, tag: number): string | undefined {
  return elements
    .get(tag)
    ?.toString('latin1')
    .replace(/[\0 ]+$/, '');
}

/** The Status (0000,0900) of a response command set; undefined when it has none. */
export function commandStatus(command: Buffer): number | undefined {
  return commandUs(commandElements(command), 0x00000900);
}
