// Bundles the CLI (dist/cli/main.js and every command it loads on demand) into dist/cli/berth.js
// plus split chunks beside it, so a berth command loads a handful of files instead of ~150
// modules (`yaml` alone is 71 CommonJS files): that was ~45 ms of every command's start-up.
//
// Only our own code and the pure-JS packages on the start-up path are bundled; every other
// package stays external and is loaded from node_modules as before (fastify, ws, dcmjs, ajv and
// the native msgpackr-extract have dynamic requires or files of their own). The chunks sit in
// dist/cli/, two levels below the package root like the modules they replace, so the paths the
// code takes relative to itself (schemas/, dist/manifest/machine-validator.cjs) hold in both.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const BUNDLED = new Set(['commander', 'yaml', 'date-fns', 'ajv-formats']);
const outdir = fileURLToPath(new URL('../dist/cli/', import.meta.url));

for (const f of readdirSync(outdir)) if (f.startsWith('berth')) rmSync(outdir + f);

await build({
  entryPoints: { berth: fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)) },
  outdir,
  entryNames: '[name]',
  chunkNames: 'berth-[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // CommonJS packages in an ES module bundle still call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);",
  },
  plugins: [
    {
      name: 'external-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith('node:')) return { external: true };
          const name = args.path.startsWith('@')
            ? args.path.split('/').slice(0, 2).join('/')
            : args.path.split('/')[0];
          return BUNDLED.has(name) ? undefined : { external: true };
        });
      },
    },
  ],
});
