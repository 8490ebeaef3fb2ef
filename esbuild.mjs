// Builds the bundles: the extension (cjs, `vscode` external), the headless CLI (with a
// shebang) and the webview page (browser). `--watch` rebuilds on change, `--dev` keeps sourcemaps.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const dev = process.argv.includes('--dev') || process.argv.includes('--watch');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // jsonc-parser's default (UMD) entry loads its parts with a runtime require; its ESM build bundles.
  mainFields: ['module', 'main'],
  minify: !dev,
  sourcemap: dev,
  legalComments: 'none',
  define: { __VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
};

const builds = [
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  {
    entryPoints: ['media/main.ts'],
    outfile: 'dist/webview.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: !dev,
    sourcemap: dev,
    legalComments: 'none',
    logLevel: 'warning',
  },
];

if (process.argv.includes('--watch')) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
