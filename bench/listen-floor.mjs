/**
 * The Node floor of receiving DICOM, for bench/listen.ts (issue 15): the least any C-STORE SCP
 * written in Node must do, with node:net and node:fs (and Buffer) alone — no berth code, no
 * dcmjs-dimse — so the bench shows what the platform allows, beside berth and dcmtk's storescp.
 * It is not a receiver to use: it checks nothing, writes no meta header and never fsyncs.
 *
 * It parses PDUs from the socket's chunks (a data set's bytes are sliced out of the chunk they came
 * in and written, never joined), accepts every presentation context with the first transfer syntax
 * proposed (offering max PDU 262144, as berth does), opens a new file in OUT for each C-STORE-RQ,
 * `fs.writeSync`s each data-set PDV slice into it, closes it on the last fragment and answers a
 * C-STORE-RSP with status 0; A-RELEASE-RQ gets A-RELEASE-RP. C-ECHO and other commands are not
 * answered. Any number of associations, one after the other or at once.
 *
 * Prints `{"port": N}` first (127.0.0.1, a free port), as bench/listen-receiver.mjs does; on
 * SIGTERM prints `{"maxRssMiB", "cpuUserMs", "cpuSystemMs"}` and exits.
 * Usage: `node bench/listen-floor.mjs OUT`.
 */
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import net from 'node:net';
import process from 'node:process';

const MAX_PDU = 262144;
/** A UUID-derived UID (2.25), this script's own. */
const IMPLEMENTATION_UID = '2.25.302180342930712893853468702152612391407';
const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';
const [ASSOCIATE_RQ, ASSOCIATE_AC, P_DATA, RELEASE_RQ, RELEASE_RP, ABORT] = [1, 2, 4, 5, 6, 7];
const C_STORE_RQ = 0x0001;

const out = process.argv[2];
if (!out) throw new Error('usage: listen-floor.mjs OUT');
fs.mkdirSync(out, { recursive: true });
let files = 0;

/** A PDU: type, reserved, 4-byte big-endian length, body. */
function pdu(type, body) {
  const head = Buffer.alloc(6);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

/** An item or sub-item of an A-ASSOCIATE PDU: type, reserved, 2-byte length, body. */
function item(type, body) {
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}

/** The items of `bytes` (type, whole item with its header), in order. */
function* items(bytes) {
  for (let at = 0; at + 4 <= bytes.length;) {
    const end = at + 4 + bytes.readUInt16BE(at + 2);
    yield [bytes[at], bytes.subarray(at, end)];
    at = end;
  }
}

/** The A-ASSOCIATE-AC answering an A-ASSOCIATE-RQ's body: every context, its first syntax. */
function associateAc(rq) {
  const accepted = [item(0x10, Buffer.from(APPLICATION_CONTEXT))];
  for (const [type, context] of items(rq.subarray(68))) {
    if (type !== 0x20) continue;
    const syntax = [...items(context.subarray(8))].find(([t]) => t === 0x40);
    if (!syntax) continue;
    // Presentation context ID, reserved, result 0 (acceptance), reserved; the transfer syntax.
    accepted.push(item(0x21, Buffer.concat([Buffer.from([context[4], 0, 0, 0]), syntax[1]])));
  }
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(MAX_PDU);
  const userInfo = Buffer.concat([item(0x51, maxLength), item(0x52, Buffer.from(IMPLEMENTATION_UID))]);
  // Protocol version, reserved, called and calling AE titles, 32 reserved bytes: as received.
  return pdu(ASSOCIATE_AC, Buffer.concat([rq.subarray(0, 68), ...accepted, item(0x50, userInfo)]));
}

/** The values of a command set (implicit VR little endian, group 0000), by element number. */
function commandValues(command) {
  const values = new Map();
  for (let at = 0; at + 8 <= command.length;) {
    const length = command.readUInt32LE(at + 4);
    values.set(command.readUInt16LE(at + 2), command.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return values;
}

/** One element of group 0000, implicit VR little endian. */
function element(number, value) {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(number, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

function us(value) {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return b;
}

/** The P-DATA-TF holding the C-STORE-RSP (status 0) to a C-STORE-RQ's command values. */
function storeRsp(contextId, rq) {
  const rest = Buffer.concat([
    element(0x0002, rq.get(0x0002) ?? Buffer.alloc(0)), // Affected SOP Class UID
    element(0x0100, us(0x8001)), // Command Field: C-STORE-RSP
    element(0x0120, rq.get(0x0110) ?? us(0)), // Message ID Being Responded To
    element(0x0800, us(0x0101)), // Command Data Set Type: none
    element(0x0900, us(0)), // Status: success
    element(0x1000, rq.get(0x1000) ?? Buffer.alloc(0)), // Affected SOP Instance UID
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(rest.length);
  const command = Buffer.concat([element(0x0000, groupLength), rest]);
  const pdvHead = Buffer.alloc(6);
  pdvHead.writeUInt32BE(command.length + 2);
  pdvHead[4] = contextId;
  pdvHead[5] = 0x03; // command, last fragment
  return pdu(P_DATA, Buffer.concat([pdvHead, command]));
}

/** One association: a state machine over the socket's chunks. */
function associate(socket) {
  socket.setNoDelay(true);
  // 'pdu-head' and 'pdv-head' gather 6 bytes, 'control' a whole non-P-DATA PDU body, across chunks.
  let state = 'pdu-head';
  let held = [];
  let heldBytes = 0;
  let need = 6;
  let pduType = 0;
  let pduLeft = 0; // of the current P-DATA-TF
  let pdvLeft = 0; // of the current PDV's value
  let contextId = 0;
  let control = 0; // the PDV's message control header: bit 0 command, bit 1 last fragment
  let command = []; // the fragments of a command set
  let store; // the command values of the C-STORE-RQ whose data set is being written
  let fd = -1;

  const gather = (next, bytes) => {
    state = next;
    need = bytes;
    if (bytes === 0) whole(Buffer.alloc(0));
  };
  const afterPdv = () => (pduLeft > 0 ? gather('pdv-head', 6) : gather('pdu-head', 6));

  function endPdv() {
    if (control & 2 && control & 1) {
      const values = commandValues(command.length === 1 ? command[0] : Buffer.concat(command));
      command = [];
      if (values.get(0x0100)?.readUInt16LE() === C_STORE_RQ) {
        const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
        fd = fs.openSync(`${out}/${String(++files).padStart(6, '0')}`, flags);
        store = values;
      }
    } else if (control & 2 && fd >= 0) {
      fs.closeSync(fd);
      fd = -1;
      socket.write(storeRsp(contextId, store));
    }
    afterPdv();
  }

  /** A gathered header or control PDU body. */
  function whole(bytes) {
    if (state === 'pdu-head') {
      pduType = bytes[0];
      if (pduType !== P_DATA) return gather('control', bytes.readUInt32BE(2));
      pduLeft = bytes.readUInt32BE(2);
      return afterPdv();
    }
    if (state === 'pdv-head') {
      pdvLeft = bytes.readUInt32BE(0) - 2;
      contextId = bytes[4];
      control = bytes[5];
      pduLeft -= 6;
      state = 'pdv-value';
      if (pdvLeft === 0) endPdv();
      return;
    }
    if (pduType === ASSOCIATE_RQ) socket.write(associateAc(bytes));
    else if (pduType === RELEASE_RQ) socket.write(pdu(RELEASE_RP, Buffer.alloc(4)));
    else {
      state = 'closed'; // A-ABORT received, or a PDU this SCP does not take: abort
      return void (pduType === ABORT ? socket.destroy() : socket.end(pdu(ABORT, Buffer.alloc(4))));
    }
    gather('pdu-head', 6);
  }

  socket.on('data', (chunk) => {
    for (let at = 0; at < chunk.length && state !== 'closed';) {
      if (state === 'pdv-value') {
        const n = Math.min(pdvLeft, chunk.length - at);
        if (control & 1) command.push(chunk.subarray(at, at + n));
        else if (fd >= 0) fs.writeSync(fd, chunk, at, n);
        at += n;
        pdvLeft -= n;
        pduLeft -= n;
        if (pdvLeft === 0) endPdv();
        continue;
      }
      const n = Math.min(need - heldBytes, chunk.length - at);
      held.push(chunk.subarray(at, at + n));
      heldBytes += n;
      at += n;
      if (heldBytes === need) {
        const bytes = held.length === 1 ? held[0] : Buffer.concat(held);
        held = [];
        heldBytes = 0;
        whole(bytes);
      }
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (fd >= 0) fs.closeSync(fd);
    fd = -1;
  });
}

/** The peak RSS of this process image (VmHWM: getrusage's maxrss carries the parent's over exec). */
function peakRssKiB() {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : process.resourceUsage().maxRSS;
}

const server = net.createServer(associate);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => {
  const { user, system } = process.cpuUsage();
  const stats = { maxRssMiB: peakRssKiB() / 1024, cpuUserMs: user / 1000, cpuSystemMs: system / 1000 };
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  process.exit(0);
});
