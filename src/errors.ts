/**
 * One catalogue of every error and finding code berth produces.
 *
 * Users match on codes, never on message text, so a code once published never changes meaning.
 * Each entry is the one-line summary of the problem; the specific message of an error or finding
 * adds the detail (what was found, where, and what was expected).
 */
export const CATALOGUE = {
  // --- input the command could not use at all (CLI exit 2) ---------------------------------
  BERTH_E_IO: 'A file or directory could not be read or written',
  BERTH_E_NOT_FOUND: 'A file or directory does not exist',
  BERTH_E_TOO_LARGE: 'The input is larger than berth accepts',
  BERTH_E_NOT_UTF8: 'The text is not valid UTF-8',
  BERTH_E_EMPTY: 'The file is empty',
  BERTH_E_USAGE: 'The command was called with wrong arguments',
  BERTH_E_INTERNAL: 'berth failed unexpectedly (a bug: please report it)',

  // --- manifest syntax and shape ------------------------------------------------------------
  BERTH_E_YAML_SYNTAX: 'The manifest is not valid YAML',
  BERTH_E_YAML_ALIAS_LIMIT: 'The YAML expands too many aliases (a possible alias bomb)',
  BERTH_E_TOO_DEEP: 'The document is nested deeper than berth accepts',
  BERTH_E_JSON_SYNTAX: 'The document is not valid JSON',
  BERTH_E_MANIFEST_NOT_OBJECT: 'The manifest must be a mapping of label names to values',
  BERTH_E_MANIFEST_SCHEMA: 'The manifest does not match schemas/machine.schema.json',
  BERTH_E_MANIFEST_UNKNOWN_KEY: 'The manifest has a key that is not an EnvoyAI label',
  BERTH_E_MANIFEST_MISSING_KEY: 'A required manifest key is missing',
  BERTH_E_METADATA_VERSION: 'metadata-version must be 2',
  BERTH_E_TIMEOUT_VALUE: 'timeout must be a positive number of minutes',
  BERTH_E_INFO_NAME: 'info.name is required',
  BERTH_E_POINTER_TARGET: 'A display or report pointer names a property that does not exist on its side',
  BERTH_E_POINTER_SIDE:
    'A pointer names a property of the other side (source: input for an output, or the reverse)',
  BERTH_E_SUB_PROPERTY: "A report pointer's sub-properties name no member of the pointed array's items",
  BERTH_E_SELECTOR_OPTION: 'A selector option names a display element that does not exist',
  BERTH_E_DICOM_TAG: 'A dicom-tags entry is not a DICOM keyword or tag',

  // --- Dockerfile LABELs and image inspection ----------------------------------------------
  BERTH_E_DOCKERFILE_SYNTAX: 'The Dockerfile could not be parsed',
  BERTH_E_NO_LABELS: 'No com.envoyai.* LABELs were found',
  BERTH_E_LABEL_VALUE: 'A com.envoyai.* LABEL value is neither JSON nor YAML',
  BERTH_E_LABEL_DUPLICATE: 'The same com.envoyai.* LABEL is set more than once',
  BERTH_E_INSPECT_SHAPE: 'The inspect JSON has no Config.Labels',

  // --- property definitions ----------------------------------------------------------------
  BERTH_E_PROPERTY_NAME: 'A property name is not a safe single path segment',
  BERTH_E_PROPERTY_NAME_CLASH: 'Two sibling property names are equal ignoring case',
  BERTH_E_ARRAY_NAME_CLASH: "A numeric property name would clash with an array's entries",
  BERTH_E_PROPERTY_NOT_OBJECT: 'A property definition must be a mapping',
  BERTH_E_KIND_UNKNOWN: 'A property definition matches no kind',
  BERTH_E_KIND_AMBIGUOUS: 'A property definition matches more than one kind',
  BERTH_E_KEYWORD_NOT_APPLICABLE: 'A keyword has no meaning on this kind',
  BERTH_E_KEYWORD_VALUE: 'A keyword has a value of the wrong type or range',
  BERTH_E_ENUM_EMPTY: 'An enum must list at least one value',
  BERTH_E_ENUM_VALUE: 'An enum value must be a non-empty string',
  BERTH_E_ENUM_DUPLICATE: 'An enum lists the same value twice',
  BERTH_E_RANGE_EMPTY: 'minimum is greater than maximum (no value can satisfy both)',
  BERTH_E_PATTERN_INVALID: 'pattern is not a valid regular expression',
  BERTH_E_MIME_TYPE: 'mime-type is not a valid media type',
  BERTH_E_DICOM_TYPE: 'dicom-type must be dicom-image, dicom-series or dicom-study',
  BERTH_E_OBJECT_PROPERTIES: 'An object needs a properties mapping',
  BERTH_E_ARRAY_ITEMS: 'An array needs an items definition',
  BERTH_E_NDARRAY_DTYPE: 'An ndarray dtype is not one berth supports',
  BERTH_E_NDARRAY_SHAPE: 'An ndarray shape must be a list of non-negative integers or null',
  BERTH_E_UID_FORMAT: 'A DICOM UID is malformed',
  BERTH_E_MODALITY_FORMAT: 'A modality is not a DICOM modality code',
  BERTH_E_SCHEMA_EMPTY: 'A schema side declares no properties',
  BERTH_E_KEYWORD_UNKNOWN: 'A keyword is not known to berth (a typo?)',
  BERTH_E_SURVIVAL_DEFINITION: 'A survival property takes no properties of its own',

  // --- values and trees (SDK, validation) -------------------------------------------------
  BERTH_E_VALUE_TEXT: 'A value file does not hold the text form of its kind',
  BERTH_E_VALUE_ENUM: 'A value is not one of the enum values',
  BERTH_E_VALUE_CONSTRAINT: 'A value breaks a constraint of its property (minimum, pattern, …)',
  BERTH_E_VALUE_TYPE: 'A value given to a writer has the wrong type for its property',
  BERTH_E_VALUE_TOO_LARGE: 'A value file is larger than berth reads for its kind',
  BERTH_E_INTEGER_UNSAFE: 'An integer is beyond ±(2^53 − 1), where JavaScript numbers lose precision',
  BERTH_E_UNDECLARED_PROPERTY: 'The property is not declared in the schema',
  BERTH_E_TREE_MISSING: 'A required property is missing from the tree',
  BERTH_E_TREE_UNDECLARED: 'The tree holds an entry the schema does not declare',
  BERTH_E_TREE_NOT_FILE: 'The property should be a file',
  BERTH_E_TREE_NOT_DIRECTORY: 'The property should be a directory',
  BERTH_E_TREE_ARRAY_GAP: 'An array directory skips an index',
  BERTH_E_TREE_ARRAY_INDEX: 'An array entry is not named by a plain index (0, 1, 2 …)',
  BERTH_E_TREE_SYMLINK: 'A symbolic link points outside the tree, or stands where berth follows none',
  BERTH_E_TREE_SPECIAL: 'The tree holds a FIFO, socket or device',
  BERTH_E_TREE_UNREADABLE: 'A tree entry cannot be read',
  BERTH_E_TREE_PARTIAL_WRITE: 'The tree holds the temporary file of an unfinished write',
  BERTH_E_MIME_MISMATCH: 'A file contradicts its declared mime-type',
  BERTH_E_NDARRAY_MISMATCH: "An array's dtype or shape contradicts its property",
  BERTH_E_MANIFEST_NOT_FOUND: 'No manifest was found for the machine',
  BERTH_E_ALREADY_WRITTEN: 'The output was already written',

  // --- harness (issue 5) ------------------------------------------------------------------
  BERTH_E_CASE_FORMAT: 'A case file does not match schemas/case.schema.json',
  BERTH_E_CASE_VALUE: 'A case input or expected output cannot be materialised',
  BERTH_E_NO_COMMAND: 'berth does not know how to start the machine',
  BERTH_E_DRIVER_UNAVAILABLE: 'The chosen driver cannot run on this machine',
  BERTH_E_LAUNCH: 'The machine could not be started',

  // --- images: berth build (issue 6) --------------------------------------------------------
  BERTH_E_NO_BUILDER: 'No image builder (buildah, podman or docker) can build here',
  BERTH_E_BUILD_FAILED: 'The image build failed',

  // --- DICOM files (issue 4) ---------------------------------------------------------------
  BERTH_E_NOT_PART10: 'The file is not DICOM Part 10 (no 128-byte preamble followed by DICM)',
  BERTH_E_TRUNCATED: 'The DICOM file ends before its data does',
  BERTH_E_NO_TRANSFER_SYNTAX: 'The DICOM file meta has no TransferSyntaxUID and no data element shows one',
  BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX: 'The transfer syntax is not one berth can read',
  BERTH_E_MISSING_ATTRIBUTE: 'A required DICOM attribute is missing',
  BERTH_E_DICOM_META_MISMATCH:
    'A DICOM file meta UID differs from the data set (warning: the data set is used, and berth writes a repaired meta)',
  BERTH_E_DICOM_META_MISSING:
    'A DICOM file lacks a file meta element or the whole meta (warning: read from the data set, as dcmtk and pydicom do)',
  BERTH_E_PIXEL_LENGTH: 'The native pixel data is shorter than its declared size',
  BERTH_E_DICOM_PARSE: 'The DICOM data set could not be parsed',
  BERTH_E_DUPLICATE_INSTANCE: 'Two files hold the same SOPInstanceUID',
  // --- DICOM transcoding, deriving, sorting and synthetic trees -----------------------------
  BERTH_E_TRANSCODE_UNSUPPORTED: 'berth cannot convert between these transfer syntaxes (it has no codecs)',
  BERTH_E_DERIVE_PIXELS: 'The pixels given for a derived image do not fit its declared size',
  BERTH_E_SORT_NOTHING: 'The folder holds no usable DICOM instance to sort',
  BERTH_E_OUT_NOT_EMPTY: 'The output directory exists and is not empty',
  BERTH_E_SYNTH_UNSUPPORTED: 'berth cannot synthesise a value for this property',

  // --- DICOM in trees (issue 4): classified by isNotApplicable() in src/check/dicom.ts ----------
  BERTH_E_DICOM_TRANSFER_SYNTAX: 'A DICOM instance is in a transfer syntax its property does not accept',
  BERTH_E_DICOM_SOP_CLASS: 'A DICOM instance is of a SOP class its property does not accept',
  BERTH_E_DICOM_MODALITY: 'A DICOM instance has a modality its property does not accept',
  BERTH_E_DICOM_SERIES_INSTANCES: 'A series holds another number of instances than series-related-instances',
  BERTH_E_DICOM_STUDY_SERIES: 'The series of a study hold other instance counts than study-related-series',
  BERTH_E_DICOM_STUDY_INSTANCES: 'A study holds another number of instances than study-related-instances',
  BERTH_E_DICOM_FILE_NAME: 'A DICOM input file is not named <SOPInstanceUID>.dcm',
  BERTH_E_DICOM_SERIES_FOLDER: 'A series folder of a study is not named by its SeriesInstanceUID',
  BERTH_E_DICOM_LAYOUT: 'A DICOM folder holds an entry where its layout allows none',
  BERTH_E_DICOM_STRAY_FILE: 'A DICOM folder holds a file that is not DICOM at all',
  BERTH_E_DICOM_EMPTY: 'A DICOM series or study folder holds no instances',
  BERTH_E_DICOM_MIXED_SERIES: 'A series holds instances of more than one SeriesInstanceUID',
  BERTH_E_DICOM_MIXED_STUDY: 'A series or study holds instances of more than one StudyInstanceUID',
  BERTH_E_DICOM_MIXED_FRAME_OF_REFERENCE: 'A series holds instances of more than one FrameOfReferenceUID',
  BERTH_E_DICOM_REUSED_SOP_UID: 'An output DICOM instance reuses the SOPInstanceUID of an input',
  BERTH_E_DICOM_REUSED_SERIES_UID: 'An output DICOM instance reuses the SeriesInstanceUID of an input',
  BERTH_E_DICOM_STUDY_NOT_KEPT: 'An output DICOM instance does not keep the StudyInstanceUID of an input',

  // --- ndarray / .npy (issue 3) ------------------------------------------------------------
  BERTH_E_NPY_FORMAT: 'The file is not a valid NumPy .npy file',
  BERTH_E_NPY_DTYPE: 'The .npy dtype is not one berth supports',
  BERTH_E_NPY_SHAPE: 'The array shape does not match the data length',

  // --- wire formats (issue 7) --------------------------------------------------------------
  BERTH_E_WIRE_FORMAT: 'The document is not a valid berth wire document',
  BERTH_E_WIRE_NDARRAY: 'An ndarray on the wire is malformed',
  BERTH_E_WIRE_UNSAFE: 'The document holds an object or structured array, which berth never unpickles',
  BERTH_E_WIRE_MISSING: 'A required property is missing from the wire document',
  BERTH_E_WIRE_BASE64: 'Bytes on the wire are not canonical base64 (standard, padded, no whitespace)',
  BERTH_E_EIR_PROTOCOL: 'A message on the EIR stream does not follow the EIR streaming protocol 1.0',
  BERTH_E_EIR_SOURCE: 'The EIR sample source gave dataset info, sample ids or a sample that EIR cannot use',
  BERTH_E_EIR_UNSUPPORTED: 'A property maps to no modality EIR can stream',
  BERTH_E_EIR_DATASET: 'The EIR dataset folder cannot be used (missing, not a directory, or no cases)',
  BERTH_E_EIR_CASE:
    'A case of the EIR dataset lacks input/ or expected/ (or output/), or has both expected/ and output/',
  BERTH_E_EIR_SHAPE: 'Cases of the EIR dataset disagree on the shape of an array or image, or none has one',
  BERTH_E_EIR_VALUE: 'A case value cannot be encoded the way EIR decodes it',
  BERTH_E_EIR_CONVERTED: 'An ndarray that is not float32 is sent to EIR as float32 (precision may be lost)',

  // --- HTTP gateway -------------------------------------------------------------------------
  BERTH_E_HTTP_UNAUTHORIZED: 'The request has no bearer token, or a wrong one',
  BERTH_E_HTTP_MEDIA_TYPE: 'The body is neither application/json nor application/octet-stream (msgpack)',
  BERTH_E_HTTP_TOO_LARGE: 'The request body is larger than the gateway accepts',
  BERTH_E_HTTP_BUSY: 'Every run slot and queue place of the gateway is taken',
  BERTH_E_HTTP_RUN_ID: 'The run id is not 1–128 letters, digits, dots, underscores, colons or dashes',
  BERTH_E_HTTP_RUN_ID_IN_USE: 'The run id belongs to a run that was already posted',
  BERTH_E_HTTP_SHUTTING_DOWN: 'The gateway is shutting down',
  BERTH_E_HTTP_NOT_FOUND: 'There is no such endpoint',
  BERTH_E_HTTP_BAD_REQUEST: 'The HTTP request is malformed',
  BERTH_E_HTTP_CLIENT_GONE: 'The client went away before its run started',
  BERTH_E_HTTP_INVALID_INPUT: 'The inputs are invalid (outcome invalid-input)',
  BERTH_E_HTTP_NOT_APPLICABLE: "The inputs do not meet the machine's constraints (outcome not-applicable)",
  BERTH_E_HTTP_MACHINE_ERROR: 'The machine failed (outcome machine-error)',
  BERTH_E_HTTP_INVALID_OUTPUT: 'The machine wrote invalid outputs (outcome invalid-output)',
  BERTH_E_HTTP_TIMEOUT: 'The machine ran past its timeout (outcome timeout)',
  BERTH_E_HTTP_KILLED: 'The machine was killed by a signal (outcome killed)',
} as const;

/** A stable code from {@link CATALOGUE}. */
export type Code = keyof typeof CATALOGUE;

/** How bad a finding is: errors make a manifest, tree or run fail; warnings are reported only. */
export type Severity = 'error' | 'warning';

/**
 * One problem found in a manifest, a tree or a run.
 *
 * `path` is the file the problem was found in (a manifest, a tree entry), `property` the
 * property path inside the schema (`schema-in/scan/series`), `line` the 1-based line of a YAML
 * or Dockerfile source where known.
 */
export interface Finding {
  code: Code;
  severity: Severity;
  message: string;
  path?: string;
  property?: string;
  line?: number;
  expected?: string;
}

/** Details attached to a {@link BerthError}. */
export interface ErrorDetails {
  /** The file or directory concerned. */
  path?: string;
  /** The property path concerned. */
  property?: string;
  /** What berth expected to find, in words. */
  expected?: string;
  /** 1-based line number in a text source. */
  line?: number;
  /** The original error, kept for debugging; never shown to users as a stack trace. */
  cause?: unknown;
}

/**
 * The one error type berth throws for anything a user can cause.
 * Its message is complete on its own: the summary, the detail, the path and what was expected.
 */
export class BerthError extends Error {
  readonly code: Code;
  /** The message without the path, line, property and expectation composed into `message`. */
  readonly detail: string;
  readonly path?: string;
  readonly property?: string;
  readonly expected?: string;
  readonly line?: number;

  constructor(code: Code, detail?: string, details: ErrorDetails = {}) {
    super(
      composeMessage(code, detail, details),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'BerthError';
    this.code = code;
    this.detail = detail ?? CATALOGUE[code];
    this.path = details.path;
    this.property = details.property;
    this.expected = details.expected;
    this.line = details.line;
  }

  /** This error as a finding, for places that collect rather than throw. */
  toFinding(): Finding {
    return {
      code: this.code,
      severity: 'error',
      message: this.message,
      ...(this.path === undefined ? {} : { path: this.path }),
      ...(this.property === undefined ? {} : { property: this.property }),
      ...(this.line === undefined ? {} : { line: this.line }),
      ...(this.expected === undefined ? {} : { expected: this.expected }),
    };
  }
}

function composeMessage(code: Code, detail: string | undefined, d: ErrorDetails): string {
  let text = detail ?? CATALOGUE[code];
  const where = [
    d.path,
    d.line === undefined ? undefined : `line ${d.line}`,
    d.property && `property ${d.property}`,
  ]
    .filter(Boolean)
    .join(', ');
  if (where) text += ` (${where})`;
  if (d.expected) text += `; expected ${d.expected}`;
  return text;
}

/** Builds a finding with the catalogue summary as message when no detail is given. */
export function finding(
  code: Code,
  detail?: string,
  where: Omit<Finding, 'code' | 'severity' | 'message'> & { severity?: Severity } = {},
): Finding {
  const { severity = 'error', ...rest } = where;
  return { code, severity, message: detail ?? CATALOGUE[code], ...rest };
}

/** True for a {@link BerthError}, also across module copies. */
export function isBerthError(e: unknown): e is BerthError {
  return (
    e instanceof BerthError ||
    (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'BerthError')
  );
}

/** Turns anything thrown into a BerthError, keeping typed ones as they are. */
export function toBerthError(
  e: unknown,
  fallback: Code = 'BERTH_E_INTERNAL',
  details: ErrorDetails = {},
): BerthError {
  if (isBerthError(e)) return e;
  const nodeCode = (e as { code?: unknown } | null)?.code;
  if (nodeCode === 'ENOENT') return new BerthError('BERTH_E_NOT_FOUND', undefined, { ...details, cause: e });
  if (typeof nodeCode === 'string' && /^E[A-Z]+$/.test(nodeCode)) {
    return new BerthError('BERTH_E_IO', `${CATALOGUE.BERTH_E_IO}: ${nodeCode}`, { ...details, cause: e });
  }
  const text = e instanceof Error ? e.message : typeof e === 'string' ? e : String(e);
  return new BerthError(fallback, `${CATALOGUE[fallback]}: ${text}`, { ...details, cause: e });
}
