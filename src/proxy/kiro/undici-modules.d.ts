// The undici modules `undici.ts` loads by path. They have no declarations of their own;
// `undici.ts` gives each the type the package declares for it.
declare module 'undici/lib/dispatcher/agent.js';
declare module 'undici/lib/dispatcher/dispatcher.js';
declare module 'undici/lib/dispatcher/pool.js';
declare module 'undici/lib/dispatcher/proxy-agent.js';
declare module 'undici/lib/api/index.js';
declare module 'undici/lib/core/util.js';
