// Profiling helpers: an unminified build of the CLI (so function names survive) and a reader
// for V8 .cpuprofile files that ranks functions by self time and maps bundle lines to src files.
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './procs.mjs';

export async function buildProfileCli(outDir) {
  mkdirSync(outDir, { recursive: true });
  const esbuild = await import(pathToFileURL(join(ROOT, 'node_modules', 'esbuild', 'lib', 'main.js')).href);
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const outfile = join(outDir, 'cli.js');
  await esbuild.build({
    entryPoints: [join(ROOT, 'src', 'cli.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    minify: false, keepNames: false, legalComments: 'none', logLevel: 'warning', define: { __VERSION__: JSON.stringify(version) },
    banner: { js: '#!/usr/bin/env node' },
  });
  return outfile;
}

/** Bundle line (1-based) → source file, from esbuild's `// src/…` region comments. */
function lineToSource(bundlePath) {
  const lines = readFileSync(bundlePath, 'utf8').split('\n');
  const map = new Array(lines.length + 1);
  let current = '(bundle)';
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(lines[i]);
    if (m) current = m[1].replace(/^node_modules\/([^/]+(?:\/[^/]+)?)\/.*$/, (s, pkg) => (pkg.startsWith('@') ? pkg : pkg.split('/')[0]) + ' (dep)');
    map[i + 1] = current;
  }
  return map;
}

/** Top functions by self time in the newest .cpuprofile of `dir`. */
export function analyzeCpuProfile(dir, bundlePath, top = 25) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  if (!files.length) return null;
  const file = join(dir, files[files.length - 1]);
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const srcOf = bundlePath ? lineToSource(bundlePath) : [];
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000; // time until the next sample, ms
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const agg = new Map();
  const byFile = new Map();
  let total = 0, idle = 0;
  for (const [id, ms] of self) {
    const { callFrame: cf } = byId.get(id);
    total += ms;
    if (cf.functionName === '(idle)') { idle += ms; continue; }
    const isBundle = bundlePath && cf.url.endsWith('cli.js');
    const where = isBundle ? `${srcOf[cf.lineNumber + 1] ?? '?'}:${cf.lineNumber + 1}` : cf.url ? cf.url.replace(/^node:/, 'node:') + ':' + (cf.lineNumber + 1) : '(native)';
    const key = `${cf.functionName || '(anonymous)'} @ ${where}`;
    agg.set(key, (agg.get(key) ?? 0) + ms);
    const f = isBundle ? srcOf[cf.lineNumber + 1] ?? '?' : cf.url ? (cf.url.startsWith('node:') ? 'node internals' : cf.url) : cf.functionName;
    byFile.set(f, (byFile.get(f) ?? 0) + ms);
  }
  const busy = total - idle;
  const rows = [...agg].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, ms]) => ({ fn, selfMs: Math.round(ms), pctBusy: Math.round((ms / busy) * 1000) / 10 }));
  const files2 = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([f, ms]) => ({ file: f, selfMs: Math.round(ms), pctBusy: Math.round((ms / busy) * 1000) / 10 }));
  return { file, totalMs: Math.round(total), busyMs: Math.round(busy), idleMs: Math.round(idle), top: rows, byFile: files2 };
}
