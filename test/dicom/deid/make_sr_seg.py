"""Writes a Comprehensive SR or a binary SEG with pydicom, for the de-identification dciodvfy test."""
import sys, datetime
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

def code(v, s, m):
    c = Dataset(); c.CodeValue = v; c.CodingSchemeDesignator = s; c.CodeMeaning = m; return c

def base(sop_class, sop, modality, out):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(out, {}, file_meta=meta, preamble=b'\0' * 128)
    ds.SpecificCharacterSet = 'ISO_IR 100'
    ds.SOPClassUID = sop_class; ds.SOPInstanceUID = sop
    ds.PatientName = 'Canary^Pat'; ds.PatientID = 'PID-123456'; ds.PatientBirthDate = '19600203'; ds.PatientSex = 'F'
    ds.StudyInstanceUID = '1.2.826.0.1.3680043.10.777.1'; ds.StudyDate = '20240105'; ds.StudyTime = '101010'
    ds.ReferringPhysicianName = 'Ref^Doc'; ds.StudyID = 'S123'; ds.AccessionNumber = 'ACC12345'
    ds.SeriesInstanceUID = sop + '.9'; ds.SeriesNumber = 5; ds.Modality = modality
    ds.Manufacturer = 'berth'; ds.InstanceNumber = 1
    ds.ContentDate = '20240105'; ds.ContentTime = '101500'
    return ds

ref_sop = '1.2.826.0.1.3680043.10.777.2.1'
ref_series = '1.2.826.0.1.3680043.10.777.2'
ct = '1.2.840.10008.5.1.4.1.1.2'

def sr(out):
    ds = base('1.2.840.10008.5.1.4.1.1.88.33', '1.2.826.0.1.3680043.10.777.3.1', 'SR', out)
    ds.CompletionFlag = 'COMPLETE'; ds.VerificationFlag = 'UNVERIFIED'
    ds.ValueType = 'CONTAINER'; ds.ContinuityOfContent = 'SEPARATE'
    ds.ConceptNameCodeSequence = Sequence([code('18748-4', 'LN', 'Diagnostic Imaging Report')])
    ds.PerformedProcedureCodeSequence = Sequence([])
    ds.ReferencedPerformedProcedureStepSequence = Sequence([])
    t = Dataset(); t.RelationshipType = 'CONTAINS'; t.ValueType = 'TEXT'
    t.ConceptNameCodeSequence = Sequence([code('121071', 'DCM', 'Finding')]); t.TextValue = 'Nodule seen by Dr Who'
    im = Dataset(); im.RelationshipType = 'CONTAINS'; im.ValueType = 'IMAGE'
    im.ConceptNameCodeSequence = Sequence([code('121112', 'DCM', 'Source of Measurement')])
    r = Dataset(); r.ReferencedSOPClassUID = ct; r.ReferencedSOPInstanceUID = ref_sop
    im.ReferencedSOPSequence = Sequence([r])
    ds.ContentSequence = Sequence([t, im])
    ev = Dataset(); ev.StudyInstanceUID = ds.StudyInstanceUID
    se = Dataset(); se.SeriesInstanceUID = ref_series
    se.ReferencedSOPSequence = Sequence([r])
    ev.ReferencedSeriesSequence = Sequence([se])
    ds.CurrentRequestedProcedureEvidenceSequence = Sequence([ev])
    ds.save_as(out, write_like_original=False)

def seg(out):
    ds = base('1.2.840.10008.5.1.4.1.1.66.4', '1.2.826.0.1.3680043.10.777.4.1', 'SEG', out)
    ds.FrameOfReferenceUID = '1.2.826.0.1.3680043.10.777.5'; ds.PositionReferenceIndicator = ''
    ds.ImageType = ['DERIVED', 'PRIMARY']; ds.ContentLabel = 'SEG1'; ds.ContentDescription = 'Lesion'
    ds.ContentCreatorName = 'Seg^Maker'
    ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'; ds.Rows = 8; ds.Columns = 8
    ds.BitsAllocated = 1; ds.BitsStored = 1; ds.HighBit = 0; ds.PixelRepresentation = 0
    ds.LossyImageCompression = '00'; ds.SegmentationType = 'BINARY'
    ds.DeviceSerialNumber = 'SN-98765'; ds.SoftwareVersions = '1'; ds.ManufacturerModelName = 'm'
    ds.NumberOfFrames = 1
    s = Dataset(); s.SegmentNumber = 1; s.SegmentLabel = 'lesion'; s.SegmentAlgorithmType = 'MANUAL'
    s.SegmentedPropertyCategoryCodeSequence = Sequence([code('49755003', 'SCT', 'Morphologically Abnormal Structure')])
    s.SegmentedPropertyTypeCodeSequence = Sequence([code('4147007', 'SCT', 'Mass')])
    ds.SegmentSequence = Sequence([s])
    dim = Dataset(); dim.DimensionOrganizationUID = '1.2.826.0.1.3680043.10.777.6'
    ds.DimensionOrganizationSequence = Sequence([dim])
    di = Dataset(); di.DimensionOrganizationUID = dim.DimensionOrganizationUID
    di.DimensionIndexPointer = 0x00200032; di.FunctionalGroupPointer = 0x00209113
    ds.DimensionIndexSequence = Sequence([di])
    shared = Dataset()
    pm = Dataset(); pm.PixelSpacing = [1, 1]; pm.SliceThickness = 1
    shared.PixelMeasuresSequence = Sequence([pm])
    po = Dataset(); po.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    shared.PlaneOrientationSequence = Sequence([po])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    f = Dataset()
    fc = Dataset(); fc.DimensionIndexValues = [1]
    f.FrameContentSequence = Sequence([fc])
    pp = Dataset(); pp.ImagePositionPatient = [0, 0, 0]
    f.PlanePositionSequence = Sequence([pp])
    si = Dataset(); si.ReferencedSegmentNumber = 1
    f.SegmentIdentificationSequence = Sequence([si])
    der = Dataset(); der.DerivationCodeSequence = Sequence([code('113076', 'DCM', 'Segmentation')])
    src = Dataset(); src.ReferencedSOPClassUID = ct; src.ReferencedSOPInstanceUID = ref_sop
    src.PurposeOfReferenceCodeSequence = Sequence([code('121322', 'DCM', 'Source image for image processing operation')])
    der.SourceImageSequence = Sequence([src])
    f.DerivationImageSequence = Sequence([der])
    ds.PerFrameFunctionalGroupsSequence = Sequence([f])
    rs = Dataset(); rs.SeriesInstanceUID = ref_series
    ri = Dataset(); ri.ReferencedSOPClassUID = ct; ri.ReferencedSOPInstanceUID = ref_sop
    rs.ReferencedInstanceSequence = Sequence([ri])
    ds.ReferencedSeriesSequence = Sequence([rs])
    ds.PixelData = np.packbits(np.eye(8, dtype=np.uint8).ravel(), bitorder='little').tobytes()
    ds.save_as(out, write_like_original=False)

kind, out = sys.argv[1], sys.argv[2]
{'sr': sr, 'seg': seg}[kind](out)
