// Builds the extension-host suite into out/test/suite/ (tsc is noEmit in this project):
// index.js (mocha entry) plus one file per *.spec.ts, which index.js hands to mocha.
// `vscode` comes from the extension host and `mocha` from node_modules; the SDK is bundled.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const specs = readdirSync(here).filter((f) => f.endsWith('.spec.ts')).map((f) => path.join(here, f));

await esbuild.build({
  entryPoints: [path.join(here, 'index.ts'), ...specs],
  outdir: path.join(root, 'out/test/suite'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'mocha'],
  sourcemap: false,
  logLevel: 'warning',
});
