// Loads the given test files into this one process, in order, so node's test runner runs them
// without a process (and a TypeScript loader start) per file. Node 20 has no
// `--test-isolation=none`; this is the same thing for files that leave no global state behind,
// which unit tests must not. Usage: node --import tsx test/in-one-process.mjs <file>…
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

for (const file of process.argv.slice(2)) await import(pathToFileURL(resolve(file)).href);
