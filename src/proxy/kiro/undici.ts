// undici's dispatchers, loaded by path instead of through the package's index. The index also
// loads fetch, WebSocket, EventSource, the cache and the mock agents, which the proxy never
// uses: 138 KB of each bundle, 2–3 MB of memory and ~17 ms at every start. The types are the
// package's own; the paths are checked at build time (esbuild cannot resolve a moved file).
/// <reference path="./undici-modules.d.ts" />
import type * as Undici from 'undici';
import AgentModule from 'undici/lib/dispatcher/agent.js';
import DispatcherModule from 'undici/lib/dispatcher/dispatcher.js';
import PoolModule from 'undici/lib/dispatcher/pool.js';
import ProxyAgentModule from 'undici/lib/dispatcher/proxy-agent.js';
import dispatcherApi from 'undici/lib/api/index.js';
import { parseHeaders as parseHeadersModule } from 'undici/lib/core/util.js';

// What the index does before anything is used: ProxyAgent opens its tunnels with `connect`,
// one of the API methods the index puts on every dispatcher.
Object.assign(DispatcherModule.prototype, dispatcherApi);

export const Agent: typeof Undici.Agent = AgentModule;
export const Pool: typeof Undici.Pool = PoolModule;
export const ProxyAgent: typeof Undici.ProxyAgent = ProxyAgentModule;
export const parseHeaders: typeof Undici.util.parseHeaders = parseHeadersModule;

export type AgentOptions = Undici.Agent.Options;
export type { Dispatcher, buildConnector } from 'undici';
