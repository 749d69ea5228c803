/* eslint-disable max-lines -- the catalogue is data, one entry per code, that belongs in one place */
/**
 * One catalogue of every error and finding code berth produces, each with its properties.
 *
 * Users match on codes, never on message text, so a code once published never changes meaning.
 * Each entry holds the one-line summary of the problem; the specific message of an error or
 * finding adds the detail (what was found, where, and what was expected).
 *
 * Over 400 lines because the catalogue is data, one entry per code, that belongs in one place;
 * the code around it (the error type, findings, accessors) is small.
 */

/**
 * Whose fault a code is, which decides what berth does with it (README, "Finding and error codes"):
 * - `input`: what the user gave (manifest, tree, case, document, request) is wrong. A command
 *   exits 1 when it is a finding, 2 when it stops the command; a run's inputs: `invalid-input`.
 * - `not-applicable`: fine data that the machine's constraints do not accept (modality, counts …);
 *   a run's inputs: `not-applicable`, HTTP 422.
 * - `usage`: the command was called wrongly (exit 2).
 * - `machine`: what the machine did or wrote is wrong (a run: `invalid-output`); HTTP 500.
 * - `server`: berth or its host failed, not the input (exit 2; HTTP 500 whatever step threw it).
 * - `outcome`: the HTTP gateway's name for a run outcome; its status is the outcome's.
 */
export type CodeClass = 'input' | 'not-applicable' | 'usage' | 'machine' | 'server' | 'outcome';

/** The HTTP status of each class, where an entry does not give its own. */
const CLASS_HTTP: Record<Exclude<CodeClass, 'outcome'>, number> = {
  input: 400,
  'not-applicable': 422,
  usage: 400,
  machine: 500,
  server: 500,
};

/** What an entry may add to its class's defaults. */
interface CodeOptions {
  /** The HTTP status when a request fails with this code, if not its class's. */
  readonly http?: number;
  /** `warning` when the code is only ever a warning: {@link finding} then defaults to it. */
  readonly severity?: Severity;
  /** A DICOM file that is there but cannot be used: it still counts as an instance of its folder. */
  readonly brokenDicom?: true;
}

/** One entry of {@link CATALOGUE}. */
export interface CodeEntry extends CodeOptions {
  readonly class: CodeClass;
  readonly summary: string;
}

const input = (summary: string, o: CodeOptions = {}): CodeEntry => ({ class: 'input', summary, ...o });
const notApplicable = (summary: string): CodeEntry => ({ class: 'not-applicable', summary });
const usage = (summary: string): CodeEntry => ({ class: 'usage', summary });
const machine = (summary: string, o: CodeOptions = {}): CodeEntry => ({ class: 'machine', summary, ...o });
const server = (summary: string, o: CodeOptions = {}): CodeEntry => ({ class: 'server', summary, ...o });
const outcome = (summary: string, http: number): CodeEntry => ({ class: 'outcome', summary, http });

/**
 * Every code, one entry each: `BERTH_E_X: <class>('summary'[, { http, severity, brokenDicom }]),`
 * where `<class>` is `input`, `notApplicable`, `usage`, `machine`, `server` (see {@link CodeClass})
 * or `outcome('summary', status)`. Options only where the class's defaults do not fit: `http` (the
 * class gives 400, 422 or 500), `severity: 'warning'` (default `error`), `brokenDicom` (see
 * {@link CodeOptions}). Adding a code is this one line, plus its README row and a test.
 */
export const CATALOGUE = {
  // --- input the command could not use at all (CLI exit 2) ---------------------------------
  BERTH_E_IO: server('A file or directory could not be read or written'),
  BERTH_E_NOT_FOUND: input('A file or directory does not exist'),
  BERTH_E_TOO_LARGE: input('The input is larger than berth accepts', { http: 413 }),
  BERTH_E_NOT_UTF8: input('The text is not valid UTF-8'),
  BERTH_E_EMPTY: input('The file is empty'),
  BERTH_E_USAGE: usage('The command was called with wrong arguments'),
  BERTH_E_INTERNAL: server('berth failed unexpectedly (a bug: please report it)'),

  // --- manifest syntax and shape ------------------------------------------------------------
  BERTH_E_YAML_SYNTAX: input('The manifest is not valid YAML'),
  BERTH_E_YAML_ALIAS_LIMIT: input('The YAML expands too many aliases (a possible alias bomb)'),
  BERTH_E_TOO_DEEP: input('The document is nested deeper than berth accepts'),
  BERTH_E_JSON_SYNTAX: input('The document is not valid JSON'),
  BERTH_E_MANIFEST_NOT_OBJECT: input('The manifest must be a mapping of label names to values'),
  BERTH_E_MANIFEST_SCHEMA: input('The manifest does not match schemas/machine.schema.json'),
  BERTH_E_MANIFEST_UNKNOWN_KEY: input('The manifest has a key that is not an EnvoyAI label'),
  BERTH_E_MANIFEST_MISSING_KEY: input('A required manifest key is missing'),
  BERTH_E_METADATA_VERSION: input('metadata-version must be 2'),
  BERTH_E_TIMEOUT_VALUE: input('timeout must be a positive number of minutes, at most 43200 (30 days)'),
  BERTH_E_INFO_NAME: input('info.name is required'),
  BERTH_E_POINTER_TARGET: input(
    'A display or report pointer names a property that does not exist on its side',
  ),
  BERTH_E_POINTER_SIDE: input(
    'A pointer names a property of the other side (source: input for an output, or the reverse)',
    { severity: 'warning' },
  ),
  BERTH_E_SUB_PROPERTY: input(
    "A report pointer's sub-properties name no member of the pointed array's items",
  ),
  BERTH_E_SELECTOR_OPTION: input('A selector option names a display element that does not exist'),
  BERTH_E_DICOM_TAG: input('A dicom-tags entry is not a DICOM keyword or tag'),

  // --- Dockerfile LABELs and image inspection ----------------------------------------------
  BERTH_E_DOCKERFILE_SYNTAX: input('The Dockerfile could not be parsed'),
  BERTH_E_NO_LABELS: input('No com.envoyai.* LABELs were found'),
  BERTH_E_LABEL_VALUE: input('A com.envoyai.* LABEL value is neither JSON nor YAML'),
  BERTH_E_LABEL_DUPLICATE: input('The same com.envoyai.* LABEL is set more than once', {
    severity: 'warning',
  }),
  BERTH_E_INSPECT_SHAPE: input('The inspect JSON has no Config.Labels'),

  // --- property definitions ----------------------------------------------------------------
  BERTH_E_PROPERTY_NAME: input('A property name is not a safe single path segment'),
  BERTH_E_PROPERTY_NAME_CLASH: input('Two sibling property names are equal ignoring case'),
  BERTH_E_ARRAY_NAME_CLASH: input("A numeric property name would clash with an array's entries"),
  BERTH_E_PROPERTY_NOT_OBJECT: input('A property definition must be a mapping'),
  BERTH_E_KIND_UNKNOWN: input('A property definition matches no kind'),
  BERTH_E_KIND_AMBIGUOUS: input('A property definition matches more than one kind'),
  BERTH_E_KEYWORD_NOT_APPLICABLE: input('A keyword has no meaning on this kind'),
  BERTH_E_KEYWORD_VALUE: input('A keyword has a value of the wrong type or range'),
  BERTH_E_ENUM_EMPTY: input('An enum must list at least one value'),
  BERTH_E_ENUM_VALUE: input('An enum value must be a non-empty string'),
  BERTH_E_ENUM_DUPLICATE: input('An enum lists the same value twice'),
  BERTH_E_RANGE_EMPTY: input('minimum is greater than maximum (no value can satisfy both)'),
  BERTH_E_PATTERN_INVALID: input('pattern is not a valid regular expression'),
  BERTH_E_PATTERN_UNSUPPORTED: input(
    'pattern uses what berth cannot match in linear time (back-references, look-around, repeats over 1000)',
  ),
  BERTH_E_MIME_TYPE: input('mime-type is not a valid media type'),
  BERTH_E_DICOM_TYPE: input('dicom-type must be dicom-image, dicom-series or dicom-study'),
  BERTH_E_OBJECT_PROPERTIES: input('An object needs a properties mapping'),
  BERTH_E_ARRAY_ITEMS: input('An array needs an items definition'),
  BERTH_E_NDARRAY_DTYPE: input('An ndarray dtype is not one berth supports'),
  BERTH_E_NDARRAY_SHAPE: input('An ndarray shape must be a list of non-negative integers or null'),
  BERTH_E_UID_FORMAT: input('A DICOM UID is malformed'),
  BERTH_E_MODALITY_FORMAT: input('A modality is not a DICOM modality code'),
  BERTH_E_SCHEMA_EMPTY: input('A schema side declares no properties', { severity: 'warning' }),
  BERTH_E_KEYWORD_UNKNOWN: input('A keyword is not known to berth (a typo?)', { severity: 'warning' }),
  BERTH_E_SURVIVAL_DEFINITION: input('A survival property takes no properties of its own'),

  // --- values and trees (SDK, validation) -------------------------------------------------
  BERTH_E_VALUE_TEXT: input('A value file does not hold the text form of its kind'),
  BERTH_E_VALUE_ENUM: input('A value is not one of the enum values'),
  BERTH_E_VALUE_CONSTRAINT: input('A value breaks a constraint of its property (minimum, pattern, …)'),
  BERTH_E_VALUE_TYPE: input('A value given to a writer has the wrong type for its property'),
  BERTH_E_VALUE_TOO_LARGE: input('A value file is larger than berth reads for its kind'),
  BERTH_E_INTEGER_UNSAFE: input('An integer is beyond ±(2^53 − 1), where JavaScript numbers lose precision'),
  BERTH_E_UNDECLARED_PROPERTY: input('The property is not declared in the schema'),
  BERTH_E_TREE_MISSING: input('A required property is missing from the tree'),
  BERTH_E_TREE_UNDECLARED: input('The tree holds an entry the schema does not declare'),
  BERTH_E_TREE_NOT_FILE: input('The property should be a file'),
  BERTH_E_TREE_NOT_DIRECTORY: input('The property should be a directory'),
  BERTH_E_TREE_ARRAY_GAP: input('An array directory skips an index'),
  BERTH_E_TREE_ARRAY_INDEX: input('An array entry is not named by a plain index (0, 1, 2 …)'),
  BERTH_E_TREE_SYMLINK: input('A symbolic link points outside the tree, or stands where berth follows none'),
  BERTH_E_TREE_SPECIAL: input('The tree holds a FIFO, socket or device'),
  BERTH_E_TREE_UNREADABLE: input('A tree entry cannot be read'),
  BERTH_E_TREE_PARTIAL_WRITE: input('The tree holds the temporary file of an unfinished write'),
  BERTH_E_MIME_MISMATCH: input('A file contradicts its declared mime-type'),
  BERTH_E_NDARRAY_MISMATCH: input("An array's dtype or shape contradicts its property"),
  BERTH_E_MANIFEST_NOT_FOUND: input('No manifest was found for the machine'),

  // --- harness (issue 5) ------------------------------------------------------------------
  BERTH_E_CASE_FORMAT: input('A case file does not match schemas/case.schema.json'),
  BERTH_E_CASE_VALUE: input('A case input or expected output cannot be materialised'),
  BERTH_E_BATCH_CASES: input(
    "A batch's cases cannot be used: missing, none, too many, or an id that is unsafe or not unique",
  ),
  BERTH_E_LISTEN_DELIVERY: server(
    'berth listen could not deliver a run’s outputs to a destination (refused or unreachable): retried with back-off',
    { http: 502 },
  ),
  BERTH_E_LISTEN_DEST: usage('A --dest is neither AET@host:port nor an http(s) DICOMweb URL'),
  BERTH_E_LISTEN_DEST_AUTH: server(
    'A STOW-RS destination refused berth’s credentials (HTTP 401 or 403): retried with back-off, the token file read again',
    { http: 502 },
  ),
  BERTH_E_LISTEN_DEST_TOKEN: usage(
    'A --dest-token-file is unreadable, empty, not one bearer token, or fits no http(s) --dest',
  ),
  BERTH_E_LISTEN_INPUT: usage(
    'berth listen cannot feed the machine: not exactly one DICOM study or series input, or a required input without a value',
  ),
  BERTH_E_LISTEN_SPOOL: input('The spool holds a group folder or state file that berth listen did not write'),
  BERTH_E_QUEUE_JOB: input('A queue job is not a berth case job (its data has the wrong shape)'),
  BERTH_E_QUEUE_MACHINE: input(
    'A queue job names another machine than the worker runs (manifest hash, image ID or command): failed, not retried',
  ),
  BERTH_E_QUEUE_UNREACHABLE: server(
    'The Redis of --queue cannot be reached, refused the connection or failed while in use',
  ),
  BERTH_E_S3: server('An S3 store refused or failed a request (unreachable, credentials, bucket)'),
  BERTH_E_NO_COMMAND: server('berth does not know how to start the machine'),
  BERTH_E_DRIVER_UNAVAILABLE: server('The chosen driver cannot run on this machine'),
  BERTH_E_INPUT_READ_ONLY: machine(
    'The machine failed writing into its input tree, which is read-only as on the platform (--writable-input gives it a writable copy)',
    { severity: 'warning' },
  ),
  BERTH_E_IMAGE_NOT_FOUND: server('The container image to run is not in the engine’s image store'),

  // --- images: berth build (issue 6) --------------------------------------------------------
  BERTH_E_NO_BUILDER: server('No image builder (buildah, podman or docker) can build here'),
  BERTH_E_BUILD_FAILED: input('The image build failed'),

  // --- DICOM files (issue 4) ---------------------------------------------------------------
  BERTH_E_NOT_PART10: input('The file is not DICOM Part 10 (no 128-byte preamble followed by DICM)', {
    brokenDicom: true,
  }),
  BERTH_E_TRUNCATED: input('The DICOM file ends before its data does', { brokenDicom: true }),
  BERTH_E_NO_TRANSFER_SYNTAX: input(
    'The DICOM file meta has no TransferSyntaxUID and no data element shows one',
    { brokenDicom: true },
  ),
  BERTH_E_UNSUPPORTED_TRANSFER_SYNTAX: input('The transfer syntax is not one berth can read', {
    brokenDicom: true,
  }),
  BERTH_E_MISSING_ATTRIBUTE: input('A required DICOM attribute is missing', { brokenDicom: true }),
  BERTH_E_DICOM_META_MISMATCH: input(
    'A DICOM file meta UID differs from the data set (the data set is used; berth writes a repaired meta)',
    { severity: 'warning' },
  ),
  BERTH_E_DICOM_META_MISSING: input(
    'A DICOM file lacks a file meta element or the whole meta (read from the data set, as dcmtk and pydicom do)',
    { severity: 'warning' },
  ),
  BERTH_E_PIXEL_LENGTH: input('The native pixel data is shorter than its declared size', {
    brokenDicom: true,
  }),
  BERTH_E_DICOM_PARSE: input('The DICOM data set could not be parsed', { brokenDicom: true }),
  BERTH_E_DICOM_INFLATE_LIMIT: input(
    'The deflated DICOM data set inflates past its declared pixel data plus an allowance, or past maxInflatedBytes',
  ),
  BERTH_E_DUPLICATE_INSTANCE: input('Two files hold the same SOPInstanceUID'),
  BERTH_E_DICOM_GEOMETRY: input(
    'The slices do not form one regular volume (uneven positions, mixed orientations or sizes, multi-frame)',
  ),
  // --- DICOM transcoding, deriving, sorting and synthetic trees -----------------------------
  BERTH_E_TRANSCODE_UNSUPPORTED: input(
    'berth cannot convert between these transfer syntaxes (no codec for the source, or a lossy target)',
  ),
  BERTH_E_DERIVE_PIXELS: input('The pixels given for a derived image do not fit its declared size'),
  BERTH_E_SORT_NOTHING: input('The folder holds no usable DICOM instance to sort'),
  BERTH_E_OUT_NOT_EMPTY: input('The output directory exists and is not empty'),
  BERTH_E_SYNTH_UNSUPPORTED: input('berth cannot synthesise a value for this property'),

  // --- de-identification (issue 16) ---------------------------------------------------------
  BERTH_E_PHI_LEAK: machine(
    'An output holds an identifying value of an input (a name, ID, date, UID or free text)',
  ),
  BERTH_E_PHI_BURNED_IN: input(
    'The instance may have identity burned into its pixels (BurnedInAnnotation YES or a class that usually does)',
  ),
  BERTH_E_DEID_MAP: input('The de-identification map is malformed, or the secret is missing or too short'),

  // --- DICOM in trees (issue 4) ------------------------------------------------------------
  BERTH_E_DICOM_TRANSFER_SYNTAX: notApplicable(
    'A DICOM instance is in a transfer syntax its property does not accept',
  ),
  BERTH_E_DICOM_CONVERTED: input(
    'A DICOM input is in a transfer syntax its property does not list but berth converts it to (a run delivers it converted)',
    { severity: 'warning' },
  ),
  BERTH_E_DICOM_SOP_CLASS: notApplicable('A DICOM instance is of a SOP class its property does not accept'),
  BERTH_E_DICOM_MODALITY: notApplicable('A DICOM instance has a modality its property does not accept'),
  BERTH_E_DICOM_SERIES_INSTANCES: notApplicable(
    'A series holds another number of instances than series-related-instances',
  ),
  BERTH_E_DICOM_STUDY_SERIES: notApplicable(
    'The series of a study hold other instance counts than study-related-series',
  ),
  BERTH_E_DICOM_STUDY_INSTANCES: notApplicable(
    'A study holds another number of instances than study-related-instances',
  ),
  BERTH_E_DICOM_FILE_NAME: input('A DICOM input file is not named <SOPInstanceUID>.dcm'),
  BERTH_E_DICOM_SERIES_FOLDER: input('A series folder of a study is not named by its SeriesInstanceUID'),
  BERTH_E_DICOM_LAYOUT: input('A DICOM folder holds an entry where its layout allows none'),
  BERTH_E_DICOM_STRAY_FILE: input('A DICOM folder holds a file that is not DICOM at all'),
  BERTH_E_DICOM_EMPTY: input('A DICOM series or study folder holds no instances'),
  BERTH_E_DICOM_MIXED_SERIES: input('A series holds instances of more than one SeriesInstanceUID'),
  BERTH_E_DICOM_MIXED_STUDY: input('A series or study holds instances of more than one StudyInstanceUID'),
  BERTH_E_DICOM_MIXED_FRAME_OF_REFERENCE: input(
    'A series holds instances of more than one FrameOfReferenceUID',
  ),
  BERTH_E_DICOM_REUSED_SOP_UID: machine('An output DICOM instance reuses the SOPInstanceUID of an input'),
  BERTH_E_DICOM_REUSED_SERIES_UID: machine(
    'An output DICOM instance reuses the SeriesInstanceUID of an input',
  ),
  BERTH_E_DICOM_STUDY_NOT_KEPT: machine(
    'An output DICOM instance does not keep the StudyInstanceUID of an input',
  ),

  // --- ndarray / .npy (issue 3) ------------------------------------------------------------
  BERTH_E_NPY_FORMAT: input('The file is not a valid NumPy .npy file'),
  BERTH_E_NPY_DTYPE: input('The .npy dtype is not one berth supports'),
  BERTH_E_NPY_SHAPE: input('The array shape does not match the data length'),

  // --- wire formats (issue 7) --------------------------------------------------------------
  BERTH_E_WIRE_FORMAT: input('The document is not a valid berth wire document'),
  BERTH_E_WIRE_NDARRAY: input('An ndarray on the wire is malformed'),
  BERTH_E_WIRE_UNSAFE: input('The document holds an object or structured array, which berth never unpickles'),
  BERTH_E_WIRE_MISSING: input('A required property is missing from the wire document'),
  BERTH_E_WIRE_BASE64: input('Bytes on the wire are not canonical base64 (standard, padded, no whitespace)'),
  BERTH_E_TOO_MANY_ENTRIES: input(
    'The document would create more tree entries (or one array more items) than berth accepts',
    { http: 413 },
  ),
  BERTH_E_EIR_PROTOCOL: input('A message on the EIR stream does not follow the EIR streaming protocol 1.0'),
  BERTH_E_EIR_SOURCE: input(
    'The EIR sample source gave dataset info, sample ids or a sample that EIR cannot use',
  ),
  BERTH_E_EIR_UNSUPPORTED: input('A property maps to no modality EIR can stream'),
  BERTH_E_EIR_DATASET: input('The EIR dataset folder cannot be used (missing, not a directory, or no cases)'),
  BERTH_E_EIR_CASE: input(
    'A case of the EIR dataset lacks input/ or expected/ (or output/), or has both expected/ and output/',
  ),
  BERTH_E_EIR_SHAPE: input(
    'Cases of the EIR dataset disagree on the shape of an array or image, or none has one',
  ),
  BERTH_E_EIR_VALUE: input('A case value cannot be encoded the way EIR decodes it'),
  BERTH_E_EIR_CONVERTED: input(
    'An ndarray that is not float32 is sent to EIR as float32 (precision may be lost)',
    { severity: 'warning' },
  ),

  // --- berth listen: receiving by C-STORE and STOW-RS (issue 15) ----------------------------
  BERTH_E_LISTEN_RECEIVE_AET: input("The calling AE title is not allowed, or the called one is not berth's", {
    http: 403,
  }),
  BERTH_E_LISTEN_RECEIVE_BUSY: server(
    'Every association slot of berth listen is taken (--max-associations)',
    {
      http: 503,
    },
  ),
  BERTH_E_LISTEN_RECEIVE_FULL: server(
    "The spool's file system is above the disk watermark: nothing new is received",
    {
      http: 503,
    },
  ),
  BERTH_E_LISTEN_RECEIVE_TOO_LARGE: input('A received instance is larger than berth accepts', { http: 413 }),
  BERTH_E_LISTEN_RECEIVE_UID_MISMATCH: input(
    'A received instance has an invalid UID, or other UIDs than its request (C-STORE command, STOW-RS study) names',
  ),
  BERTH_E_LISTEN_STOW_MEDIA_TYPE: input(
    'A STOW-RS request is not multipart/related; type="application/dicom"',
    {
      http: 415,
    },
  ),
  BERTH_E_LISTEN_STOW_MULTIPART: input('A STOW-RS body is not a well-formed multipart/related body'),

  // --- HTTP gateway -------------------------------------------------------------------------
  BERTH_E_HTTP_UNAUTHORIZED: input('The request has no bearer token, or a wrong one', { http: 401 }),
  BERTH_E_HTTP_MEDIA_TYPE: input(
    'The body is neither application/json nor application/octet-stream (msgpack)',
    { http: 415 },
  ),
  BERTH_E_HTTP_TOO_LARGE: input('The request body is larger than the gateway accepts', { http: 413 }),
  BERTH_E_HTTP_BUSY: server('Every run slot and queue place of the gateway is taken', { http: 429 }),
  BERTH_E_HTTP_RUN_ID: input('The run id is not 1–128 letters, digits, dots, underscores, colons or dashes'),
  BERTH_E_HTTP_RUN_ID_IN_USE: input('The run id belongs to a run that was already posted', { http: 409 }),
  BERTH_E_HTTP_SHUTTING_DOWN: server('The gateway is shutting down', { http: 503 }),
  BERTH_E_HTTP_NOT_FOUND: input('There is no such endpoint', { http: 404 }),
  BERTH_E_HTTP_BAD_REQUEST: input('The HTTP request is malformed'),
  BERTH_E_HTTP_CLIENT_GONE: input('The client went away before its run started', { http: 499 }),
  BERTH_E_HTTP_INVALID_INPUT: outcome('The inputs are invalid (outcome invalid-input)', 400),
  BERTH_E_HTTP_NOT_APPLICABLE: outcome(
    "The inputs do not meet the machine's constraints (outcome not-applicable)",
    422,
  ),
  BERTH_E_HTTP_MACHINE_ERROR: outcome('The machine failed (outcome machine-error)', 500),
  BERTH_E_HTTP_INVALID_OUTPUT: outcome('The machine wrote invalid outputs (outcome invalid-output)', 500),
  BERTH_E_HTTP_TIMEOUT: outcome('The machine ran past its timeout (outcome timeout)', 504),
  BERTH_E_HTTP_KILLED: outcome('The machine was killed by a signal (outcome killed)', 500),
} satisfies Record<`BERTH_E_${string}`, CodeEntry>;

/** A stable code from {@link CATALOGUE}. */
export type Code = keyof typeof CATALOGUE;

/** True for a string that is a catalogued code. */
export function isCode(code: string): code is Code {
  return Object.hasOwn(CATALOGUE, code);
}

/** The one-line summary of a code: the message of an error or finding that gives no detail. */
export function summaryOf(code: Code): string {
  return CATALOGUE[code].summary;
}

/** The class of a code: whose fault it is (see {@link CodeClass}). */
export function classOf(code: Code): CodeClass {
  return CATALOGUE[code].class;
}

/** Every code of a class, in catalogue order. */
export function codesOfClass(cls: CodeClass): Code[] {
  return (Object.keys(CATALOGUE) as Code[]).filter((code) => CATALOGUE[code].class === cls);
}

/**
 * True when a code means the input is **not applicable** to the machine (a constraint it does not
 * meet: wrong modality, SOP class, transfer syntax or instance count); false when it means the
 * input is broken, or any other fault. A run whose inputs have only such errors is `not-applicable`.
 */
export function isNotApplicableCode(code: Code): boolean {
  return CATALOGUE[code].class === 'not-applicable';
}

/** The HTTP status of a request that fails with this code: its own, else its class's. */
export function httpStatusOf(code: Code): number {
  const entry: CodeEntry = CATALOGUE[code];
  if (entry.http !== undefined) return entry.http;
  if (entry.class === 'outcome') throw new Error(`${code} has class outcome but no HTTP status`);
  return CLASS_HTTP[entry.class];
}

/** The severity a finding of this code has unless its producer says otherwise. */
export function defaultSeverityOf(code: Code): Severity {
  return (CATALOGUE[code] as CodeEntry).severity ?? 'error';
}

/** True for a DICOM file that is there but cannot be used (it still counts as an instance). */
export function isBrokenDicomCode(code: Code): boolean {
  return (CATALOGUE[code] as CodeEntry).brokenDicom === true;
}

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
    this.detail = detail ?? summaryOf(code);
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
  let text = detail ?? summaryOf(code);
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

/**
 * Builds a finding with the catalogue summary as message when no detail is given, and the
 * code's default severity when none is given.
 */
export function finding(
  code: Code,
  detail?: string,
  where: Omit<Finding, 'code' | 'severity' | 'message'> & { severity?: Severity } = {},
): Finding {
  const { severity = defaultSeverityOf(code), ...rest } = where;
  return { code, severity, message: detail ?? summaryOf(code), ...rest };
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
    return new BerthError('BERTH_E_IO', `${summaryOf('BERTH_E_IO')}: ${nodeCode}`, { ...details, cause: e });
  }
  return new BerthError(fallback, `${summaryOf(fallback)}: ${boundedText(e)}`, { ...details, cause: e });
}

/** The longest text of a library's error that berth passes on (in messages, answers, reports). */
export const MAX_CAUSE_TEXT = 200;

/**
 * The message of anything thrown, cut to {@link MAX_CAUSE_TEXT} characters: a library's error
 * text may quote the input it failed on (msgpackr once serialised a whole document into one), so
 * none is passed on unbounded.
 */
export function boundedText(e: unknown, max = MAX_CAUSE_TEXT): string {
  let text: string;
  try {
    text = e instanceof Error ? e.message : typeof e === 'string' ? e : String(e);
  } catch {
    text = 'an error without a message';
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}
