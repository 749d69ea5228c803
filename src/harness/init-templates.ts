/**
 * The files `berth init` writes, as text. Each template takes the few facts that differ between
 * machines ({@link TemplateFacts}) and nothing else, so the scaffold is the same every time and
 * its test proves every machine `berth init` makes builds and passes `berth test`.
 *
 * The machine is small but real: it reads a CT series, measures the mean Hounsfield units of its
 * middle slice and the share of that slice above a threshold, and writes four outputs of four
 * kinds (number, boolean, percentage, string). `src/machine-types.ts` is not a template: it is
 * generated from the manifest by `generateTypes`, exactly as `berth types` would.
 */
import { stringify } from 'yaml';

/** What the templates are filled in with. */
export interface TemplateFacts {
  /** `info.name`, the npm package name and the image name (already validated). */
  readonly name: string;
  /** `info.title`, derived from the name. */
  readonly title: string;
  /** The `berth` dependency of package.json: `^0.1.0` or `file:../berth`. */
  readonly berthDependency: string;
  /** The devDependency ranges of the machine's build tools. */
  readonly typescriptRange: string;
  readonly typesNodeRange: string;
}

/** A YAML plain scalar when that reads back as the same string, else a quoted one. */
function yamlString(text: string): string {
  return stringify(text).trimEnd();
}

/** The manifest: the EnvoyAI labels, berth's command, and the editor's schema line. */
export function machineYaml(f: TemplateFacts): string {
  return `# yaml-language-server: $schema=./node_modules/berth/schemas/machine.schema.json
# The EnvoyAI labels of this machine's image as one file. \`npx berth check machine.yaml\` checks it;
# \`npm run build\` regenerates src/machine-types.ts from it; \`npx berth labels machine.yaml\` prints
# the Dockerfile LABELs.
metadata-version: 2
info:
  name: ${yamlString(f.name)}
  title: ${yamlString(f.title)}
  release-version: 0.1.0
  abstract: Measures the mean Hounsfield units of the middle slice of a CT series. A starting point, not a medical device.
  input-details: One CT series and a threshold in Hounsfield units.
  output-details: The mean of the middle slice, whether it is above the threshold, the share of its pixels above it, and a summary.
schema-in:
  ct:
    dicom-type: dicom-series
    title: CT series
    modalities: [CT]
    # The native (uncompressed) transfer syntaxes: berth decodes no JPEG, JPEG 2000 or RLE, so any
    # other series is refused as not applicable before the machine starts.
    transfer-syntax-uid:
      - 1.2.840.10008.1.2.1
      - 1.2.840.10008.1.2
      - 1.2.840.10008.1.2.1.99
      - 1.2.840.10008.1.2.2
  threshold-hu:
    type: number
    title: Threshold (HU)
    minimum: -1024
    maximum: 3071
schema-out:
  mean-hu:
    type: number
    title: Mean of the middle slice (HU)
  above-threshold:
    type: boolean
    title: Mean above the threshold
  fraction-above:
    type: percentage
    title: Pixels above the threshold
    minimum: 0
    maximum: 100
  summary:
    type: string
    title: Summary
    maxLength: 2000
timeout: 10
berth:
  # How \`berth run\` and \`berth test\` start the machine outside a container; in the image, CMD does.
  command: [node, dist/main.js]
`;
}

/** The machine's code, using the SDK with the generated types. */
export function mainTs(f: TemplateFacts): string {
  return `/**
 * ${f.title}: measures the mean Hounsfield units (HU) of the middle slice of a CT series and the share
 * of its pixels above a threshold. A starting point: replace the measurement with your own method.
 */
import { openMachine } from 'berth';
import type { Inputs, Outputs } from './machine-types.js';

// Finds the manifest and the input, output and status folders where the platform or berth put them.
const m = await openMachine<Inputs, Outputs>();
await m.status.progress(0);

const threshold = await m.inputs.get('threshold-hu');
const ct = await m.inputs.dicomSeries('ct'); // instances sorted along the slice normal
const index = Math.floor(ct.size / 2);
const middle = ct.instances[index]!;
await m.status.progress(20);

const pixels = await middle.pixels();
if (pixels.kind !== 'native') {
  // machine.yaml accepts native transfer syntaxes only, so this is a guard, not a path.
  throw new Error(\`slice \${index + 1} is compressed (\${middle.transferSyntaxUid})\`);
}
// Stored values become HU through the rescale; padding (outside the field of view) is not tissue.
const slope = Number(middle.get('RescaleSlope') ?? 1);
const intercept = Number(middle.get('RescaleIntercept') ?? 0);
const padding = middle.get('PixelPaddingValue');
let sum = 0;
let counted = 0;
let above = 0;
for (const stored of pixels.data) {
  if (stored === padding) continue;
  const hu = stored * slope + intercept;
  sum += hu;
  counted++;
  if (hu > threshold) above++;
}
if (counted === 0) throw new Error(\`slice \${index + 1} holds only padding\`);
await m.status.progress(80);

const mean = sum / counted;
const fraction = above / counted;
await m.outputs.set('mean-hu', Math.round(mean * 10) / 10);
await m.outputs.set('above-threshold', mean > threshold);
await m.outputs.set('fraction-above', Math.round(fraction * 1000) / 1000); // a fraction: 0.25 is 25%
await m.outputs.set(
  'summary',
  \`Slice \${index + 1} of \${ct.size}: mean \${mean.toFixed(1)} HU; \` +
    \`\${(fraction * 100).toFixed(1)}% of its pixels are above \${threshold} HU.\`,
);
await m.status.progress(100);
// Checks every output against schema-out; a missing or invalid one fails the run here, not later.
await m.finish();
`;
}

/** package.json: an ES module package whose build regenerates the types, then compiles. */
export function packageJson(f: TemplateFacts): string {
  const pkg = {
    name: f.name,
    version: '0.1.0',
    private: true,
    description: `${f.title}: a berth machine (EnvoyAI Machine API v2).`,
    type: 'module',
    engines: { node: '>=20' },
    scripts: {
      types: 'berth types machine.yaml --out src/machine-types.ts',
      build: 'npm run types && tsc -p tsconfig.json',
      check: 'berth check machine.yaml',
      test: 'npm run build && berth test .',
    },
    dependencies: { berth: f.berthDependency },
    devDependencies: { '@types/node': f.typesNodeRange, typescript: f.typescriptRange },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

/** tsconfig.json: strict, NodeNext, src/ → dist/ (as Prettier lays it out). */
export function tsconfigJson(): string {
  return `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "lib": ["ES2023"],
    "types": ["node"],
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "verbatimModuleSyntax": true,
    "skipLibCheck": true,
    "sourceMap": true,
    "rootDir": "src",
    "outDir": "dist"
  },
  "include": ["src"]
}
`;
}

/**
 * The machine's image: berth's base image plus the built machine, nothing else. The base image
 * (berth's own Dockerfile) holds berth, resolvable from any folder, so the machine installs nothing
 * while berth is its only dependency — which also keeps a \`file:\` berth out of the image build.
 */
export function dockerfile(f: TemplateFacts): string {
  return `# The image of ${f.name}: berth's base image plus the built machine. The base image (berth's
# own Dockerfile) brings Node, berth, the /envoyai folders, the non-root user and \`berth exec\` as
# the entrypoint (it checks the inputs against /envoyai/machine.yaml, runs CMD, checks the outputs),
# so these few lines are all a machine writes. Build with \`npm run build && npx berth build .\`,
# which also sets the com.envoyai.* LABELs from machine.yaml.
#
# Runtime dependencies of your own: add \`COPY package-lock.json ./\` and
# \`RUN npm ci --omit=dev\` before CMD (with berth from the npm registry, not a file: path).
ARG BERTH_IMAGE=berth:latest
FROM \${BERTH_IMAGE}
COPY machine.yaml /envoyai/machine.yaml
COPY package.json ./
COPY dist ./dist
CMD ["node", "dist/main.js"]
`;
}

/** .dockerignore: the build context needs only the manifest, package.json and dist/. */
export function dockerignore(): string {
  return `.git
node_modules
cases
src
`;
}

/** The one case: a synthetic CT series, so \`berth test\` passes before any real data exists. */
export function syntheticCaseYaml(): string {
  return `# yaml-language-server: $schema=../../node_modules/berth/schemas/case.schema.json
description: A synthetic CT series generated by berth (the same seed gives the same bytes).
inputs:
  ct: { synth: { seed: 1, instances: 8, rows: 64, columns: 64 } }
  threshold-hu: -500
expected:
  outcome: passed
  # Outputs not listed here are only validated against schema-out, not compared.
  outputs:
    above-threshold: false # the air around the body pulls the mean down
    mean-hu: -650
tolerances:
  mean-hu: { abs: 25 }
`;
}

/** .gitignore: what the build and npm make. */
export function gitignore(): string {
  return `node_modules/
dist/
*.tsbuildinfo
`;
}

/** The machine's own README: build, run, test, package. */
export function readme(f: TemplateFacts): string {
  return `# ${f.title}

\`${f.name}\` is a berth machine: it reads typed inputs from files and writes typed outputs to
files, in the layout of the EnvoyAI Machine API v2. It reads a CT series, measures the mean Hounsfield
units of its middle slice and the share of that slice above a threshold. It is a starting point:
change the schema in \`machine.yaml\` and the code in \`src/main.ts\`.

| file | what it is |
|---|---|
| \`machine.yaml\` | the manifest: inputs (\`schema-in\`), outputs (\`schema-out\`), timeout, how berth starts it |
| \`src/main.ts\` | the machine's code, using berth's SDK |
| \`src/machine-types.ts\` | \`Inputs\` and \`Outputs\` generated from \`machine.yaml\` (do not edit) |
| \`cases/\` | test cases: inputs, and the outcome and outputs expected |
| \`Dockerfile\` | the image: berth's base image plus \`dist/\` |

## Build

\`\`\`sh
npm install
npm run build      # berth types machine.yaml --out src/machine-types.ts, then tsc
\`\`\`

The build regenerates \`src/machine-types.ts\` from \`machine.yaml\` first, so after any change to
the schema the compiler points at every read and write that no longer fits.

## Run

\`\`\`sh
npx berth check machine.yaml                      # the manifest, every finding
npx berth run . --case cases/synthetic --report run.html
\`\`\`

\`berth run\` lays out the case's inputs as the platform would, starts \`node dist/main.js\` (the
manifest's \`berth.command\`), watches its status and timeout, validates the outputs against
\`schema-out\`, compares them with the expected ones, and reports.

## Test

\`\`\`sh
npm test           # build, then berth test . : every case under cases/, ending "N passed, N failed"
\`\`\`

A case passes when its outcome is the expected one (\`passed\`, \`not-applicable\`, …) and its
outputs match the expected ones. \`cases/synthetic\` uses a CT series berth generates
(\`{synth: {...}}\`); add cases with real data as \`{dicom: path/to/series}\`.

## Package

The image is berth's base image plus the built machine (\`Dockerfile\`). The platform reads the
machine's schema from the image's \`com.envoyai.*\` LABELs; \`berth build\` sets them from
\`machine.yaml\` (with buildah, podman or docker, whichever is installed), so they never go stale:

\`\`\`sh
npm run build
npx berth build .                                   # tags ${f.name}:0.1.0 (info.release-version)
npx berth test . --driver container --image ${f.name}:0.1.0
\`\`\`

\`npx berth build . --base IMAGE\` builds on another base image than \`berth:latest\`.
`;
}
