"""The basic profile (resolved actions from berth's table, modified dates, HMAC UIDs) done by pydicom,
for bench/deid.ts: argv = actions.json, source folder, output folder, secret. Prints seconds spent
reading, de-identifying and writing (the process start excluded), then the CPU seconds of the same."""
import datetime, hashlib, hmac, json, os, sys, time
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

actions = {int(k): v for k, v in json.load(open(sys.argv[1])).items()}
src, out, secret = sys.argv[2], sys.argv[3], sys.argv[4].encode()
CLASS = {0x00080016, 0x00081150, 0x0008010C, 0x0008010D}
DUMMY = {'DA': '19000101', 'DT': '19000101000000', 'TM': '000000', 'DS': '0', 'IS': '0', 'AS': '000Y', 'PN': 'ANONYMOUS^'}


def puid(u):
    d = bytearray(hmac.new(secret, b'uid\0' + u.encode(), hashlib.sha256).digest()[:16])
    d[6] = (d[6] & 0x0F) | 0x80
    d[8] = (d[8] & 0x3F) | 0x80
    return '2.25.' + str(int.from_bytes(d, 'big'))


def shift(v, vr, days):
    out = []
    for p in str(v).split('\\'):
        try:
            d = datetime.datetime.strptime(p[:8], '%Y%m%d') + datetime.timedelta(days=days)
            out.append(d.strftime('%Y%m%d') + (p[8:] if vr == 'DT' else ''))
        except ValueError:
            return ''
    return '\\'.join(out)


def clean(ds, days):
    ds.remove_private_tags()
    for elem in list(ds):
        t = int(elem.tag)
        if (t >> 16) & 0xFF00 in (0x5000, 0x6000) or t & 0xFFFF == 0:
            del ds[elem.tag]
            continue
        a = actions.get(t)
        if elem.VR == 'SQ':
            if a == 'X':
                del ds[elem.tag]
            elif a == 'Z':
                elem.value = Sequence([])
            else:
                for item in elem.value:
                    clean(item, days)
            continue
        if a is None or a == 'U':
            if elem.VR == 'UI' and elem.value and t not in CLASS:
                vals = elem.value if elem.VM > 1 else [elem.value]
                new = [v if str(v).startswith('1.2.840.10008.') else puid(str(v)) for v in vals]
                elem.value = new if elem.VM > 1 else new[0]
            continue
        if a == 'X':
            del ds[elem.tag]
        elif a == 'Z':
            elem.value = None
        elif a == 'D':
            elem.value = DUMMY.get(elem.VR, 'ANONYMOUS') if elem.VR not in ('US', 'SS', 'UL', 'SL', 'FL', 'FD') else 0
        elif a == 'shift':
            if elem.VR in ('DA', 'DT') and elem.value:
                elem.value = shift(elem.value, elem.VR, days)


t0 = time.perf_counter()
c0 = time.process_time()
for name in sorted(os.listdir(src)):
    ds = pydicom.dcmread(os.path.join(src, name))
    pid = str(ds.get('PatientID', ''))
    days = -(1 + int.from_bytes(hmac.new(secret, b'date\0' + pid.encode(), hashlib.sha256).digest()[:4], 'big') % 3652)
    clean(ds, days)
    ds.PatientIdentityRemoved = 'YES'
    ds.DeidentificationMethod = 'pydicom PS3.15 E 113100 113107'
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = '113100', 'DCM', 'Basic Application Confidentiality Profile'
    ds.DeidentificationMethodCodeSequence = Sequence([c])
    ds.LongitudinalTemporalInformationModified = 'MODIFIED'
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(os.path.join(out, ds.SOPInstanceUID + '.dcm'))
print(time.perf_counter() - t0, time.process_time() - c0)
