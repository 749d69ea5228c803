import { expect } from 'chai';
import {
  commandElements,
  commandStatus,
  commandUid,
  commandUs,
  cStoreRq,
  cStoreRsp,
  cStoreRspPdu,
  pData,
} from '../../src/net/scu-pdu.js';

describe('net/scu-pdu', () => {
  const request = { messageId: 7, sopClass: '1.2.840.10008.5.1.4.1.1.2', sopInstance: '1.2.3' };

  it('reads back the elements of a C-STORE-RQ it wrote, UIDs without their padding', () => {
    const e = commandElements(cStoreRq(7, request.sopClass, request.sopInstance));
    expect(commandUs(e, 0x0100)).to.equal(0x0001);
    expect(commandUs(e, 0x0110)).to.equal(7);
    expect(commandUs(e, 0x0800)).to.equal(0x0000);
    expect(commandUid(e, 0x0002)).to.equal(request.sopClass);
    expect(commandUid(e, 0x1000)).to.equal(request.sopInstance);
    expect(e.get(0x0000)!.readUInt32LE(0)).to.equal(cStoreRq(7, request.sopClass, '1.2.3').length - 12);
  });

  it('writes a C-STORE-RSP answering the request, with its status and an even-length error comment', () => {
    const rsp = cStoreRsp(request, 0xa700, 'full');
    const e = commandElements(rsp);
    expect([...e.keys()]).to.deep.equal([0x0000, 0x0002, 0x0100, 0x0120, 0x0800, 0x0900, 0x0902, 0x1000]);
    expect(commandUs(e, 0x0100)).to.equal(0x8001);
    expect(commandUs(e, 0x0120)).to.equal(7);
    expect(commandUs(e, 0x0800)).to.equal(0x0101);
    expect(commandStatus(rsp)).to.equal(0xa700);
    expect(e.get(0x0902)!.toString('latin1')).to.equal('full');
    expect(
      commandElements(cStoreRsp(request, 0, 'odd'))
        .get(0x0902)!
        .toString('latin1'),
    ).to.equal('odd ');
    expect(commandElements(cStoreRsp(request, 0)).has(0x0902)).to.equal(false);
  });

  it('writes the same C-STORE-RSP P-DATA-TF from its template as from the command set, for UIDs of odd and even length', () => {
    for (const sopInstance of ['1.2.3', '1.2.34']) {
      for (const sopClass of ['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.7']) {
        const r = { messageId: 0xfffe, sopClass, sopInstance };
        expect(cStoreRspPdu(5, r, 0xb000).equals(pData(5, true, true, cStoreRsp(r, 0xb000)))).to.equal(true);
      }
    }
  });

  it('has no status for a command set without one or cut short', () => {
    expect(commandStatus(cStoreRq(1, '1.2', '1.3'))).to.equal(undefined);
    expect(commandStatus(cStoreRsp(request, 0).subarray(0, 40))).to.equal(undefined);
  });
});
