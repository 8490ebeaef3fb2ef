// Offline Kiro simulator: one local HTTP server that answers at the paths of every real Kiro host
// (q.*.amazonaws.com, prod.*.auth.desktop.kiro.dev, oidc.*.amazonaws.com). The proxy under test
// swaps scheme+host for KIRO_PROXY_ENDPOINT and keeps the path, so one server covers them all.
import http from 'node:http';
import { setMaxListeners } from 'node:events';
import { createRng } from './prng.mjs';
import { AccountStore, describeAccount, writeTokenFile } from './accounts.mjs';
import { validateKiroRequest, DEFAULT_KNOWN_MODELS, MAX_PAYLOAD_BYTES } from './validate.mjs';
import { resolveError } from './errors.mjs';
import { buildStream, isErrorReply } from './reply.mjs';
import { PromptCache } from './cache.mjs';
import { writeStream, sleep } from './wire.mjs';
import { authRoutes } from './auth.mjs';
import { LISTED_MODEL_IDS, MODEL_CATALOG, contextWindowFor, listModelsBody, takesImages, usageLimitsBody } from './catalog.mjs';
import { webSearchRoutes } from './web-search.mjs';
import { RUNTIME_CHAT_TARGET, hostOf, runtimeErrorBody } from './hosts.mjs';

/**
 * @typedef {import('./reply.mjs').ReplyScript} ReplyScript
 * @typedef {{account: object, body: any, headers: import('node:http').IncomingHttpHeaders, path: string, seq: number}} ReplyRequest
 * @typedef {ReplyScript | ((req: ReplyRequest) => ReplyScript | undefined | null)} Reply
 * @typedef {{seq: number, time: number, method: string, path: string, query: Record<string,string>, headers: import('node:http').IncomingHttpHeaders,
 *            body: any, rawBytes: number, account: string|null, status?: number, outcome?: string, source?: string, validation?: string}} RecordedRequest
 * @typedef {{req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL, raw: Buffer, body: any,
 *            record: RecordedRequest, host: ReturnType<typeof hostOf>, signal: AbortSignal}} RouteContext
 *
 * @typedef {object} SimulatorOptions
 * @property {number} [port] default 0 (ephemeral)
 * @property {string} [host] default 127.0.0.1
 * @property {number} [seed] PRNG seed, default 1
 * @property {number|import('./accounts.mjs').AccountSpec[]} [accounts] accounts to create up front (number = that many social accounts)
 * @property {readonly string[]} [knownModels]
 * @property {number} [maxBytes] payload limit, default 600000
 * @property {number|null} [contextLimitTokens] chars/4 budget → 400 Input is too long; default off
 * @property {number} [defaultCredits] meteringEvent usage when a script gives none, default 0.01
 * @property {'random'|'frame'|'single'} [chunking] default 'random'
 * @property {number} [maxChunkBytes] largest random write, default 160
 * @property {boolean} [enforceUsageLimits] 402 MONTHLY_REQUEST_COUNT once credits >= limit; default false
 * @property {boolean} [requireProfileArn] accounts with `requiresProfile` need a profileArn; default true
 * @property {string[]} [kiroDevRefuses] account types (authMethod `social`/`idc` or provider `Enterprise`, `BuilderId`…)
 *   the kiro.dev hosts answer with 403, as they did for IdC tokens in 2026 (§11.4); default none
 * @property {boolean} [rotateRefreshTokens] refresh returns a new refresh token; default false
 * @property {number} [refreshDelayMs]
 * @property {number} [accessTokenLifetimeSec] lifetime of refreshed tokens (default 3600 social / 28800 IdC)
 * @property {boolean} [autoApproveLogin] GET /login redirects at once; default true
 * @property {string[]|null} [allowedRedirectUris] redirect_uri prefixes accepted by /login; default any
 * @property {{pendingPolls?: number, slowDown?: boolean, deny?: boolean, interval?: number, expiresIn?: number}} [device]
 * @property {object} [loginAccount] AccountSpec fields for accounts created by login flows
 * @property {boolean} [keepAlive] default false: chat responses say `connection: close` like Kiro
 * @property {number} [maxRecordedRequests] default 1000, oldest dropped; 0 = record nothing (benches with big bodies)
 */

const DEFAULTS = {
  port: 0, host: '127.0.0.1', seed: 1, knownModels: DEFAULT_KNOWN_MODELS, maxBytes: MAX_PAYLOAD_BYTES,
  contextLimitTokens: null, defaultCredits: 0.01, chunking: 'random', maxChunkBytes: 160, enforceUsageLimits: false,
  requireProfileArn: true, kiroDevRefuses: [], rotateRefreshTokens: false, refreshDelayMs: 0, accessTokenLifetimeSec: undefined,
  autoApproveLogin: true, allowedRedirectUris: null, loginAccount: {}, keepAlive: false, maxRecordedRequests: 1000,
  device: { pendingPolls: 2, slowDown: false, deny: false, interval: 1, expiresIn: 600 },
};

const CHAT_TARGET = 'AmazonCodeWhispererStreamingService.GenerateAssistantResponse';
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** @param {SimulatorOptions} [opts] */
export async function startSimulator(opts = {}) {
  const sim = new KiroSimulator(opts);
  await sim.listen();
  return sim;
}

export class KiroSimulator {
  /** @param {SimulatorOptions} opts */
  constructor(opts = {}) {
    this.config = { ...DEFAULTS, ...opts, device: { ...DEFAULTS.device, ...opts.device } };
    this.rng = createRng(this.config.seed);
    // Request ids come from their own stream so they never shift the token/id sequence.
    this.idRng = createRng((this.config.seed ^ 0x5eed) >>> 0);
    this.clockOffsetMs = 0;
    this.now = () => Date.now() + this.clockOffsetMs;
    this.accounts = new AccountStore(this.rng, this.now);
    /** @type {RecordedRequest[]} */ this.requests = [];
    /** @type {object[]} what each chat reply actually sent (text, tool calls, credits, outcome, chunk sizes) */ this.replies = [];
    /** @type {Array<{reply: Reply, account?: string}>} */ this.queue = [];
    /** Prefixes cached by earlier requests' cache points (§11.5). */ this.promptCache = new PromptCache();
    /** @type {Map<string, {reply: Reply, remaining: number}>} */ this.behaviors = new Map();
    /** @type {import('./web-search.mjs').SearchScript[]} */ this.searchQueue = [];
    /** @type {Map<string, {script: import('./web-search.mjs').SearchScript, remaining: number}>} */ this.searchBehaviors = new Map();
    /** @type {Array<{seq: number, account: string, query: string, outcome: string, results: number}>} what each web search answered */ this.searches = [];
    this.state = {
      accounts: this.accounts, queue: this.queue, behaviors: this.behaviors, requestCount: 0,
      pendingLogins: new Map(), socialCodes: new Map(), oidcClients: new Map(), deviceCodes: new Map(), oidcAuthCodes: new Map(),
    };
    this.sockets = new Set();
    this.closing = new AbortController();
    setMaxListeners(0, this.closing.signal); // one listener per in-flight request; benches run many
    this.url = '';
    this.port = 0;
    /** @type {Record<string, (ctx: RouteContext) => any>} */
    this.routes = { ...this.#apiRoutes(), ...webSearchRoutes(this, (ctx) => this.#authenticate(ctx)), ...authRoutes(this), ...this.#adminRoutes() };
    const initial = typeof opts.accounts === 'number' ? Array.from({ length: opts.accounts }, () => ({})) : opts.accounts ?? [];
    for (const spec of initial) this.addAccount(spec);
    this.server = http.createServer((req, res) => { this.#handle(req, res).catch((err) => this.#crash(res, err)); });
    this.server.on('connection', (socket) => {
      socket.setNoDelay(true); // each write leaves as its own segment: frames really arrive split
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.port, this.config.host, () => resolve(undefined));
    });
    this.port = /** @type {import('node:net').AddressInfo} */ (this.server.address()).port;
    this.url = `http://${this.config.host}:${this.port}`;
    return this;
  }

  /** Stop: abort stalled streams and delays, destroy every socket, close the listener. */
  async close() {
    this.closing.abort();
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(() => resolve(undefined)));
  }

  // ---- public scripting API ---------------------------------------------------------------------

  /** @param {import('./accounts.mjs').AccountSpec} [spec] */
  addAccount(spec = {}) { return this.accounts.add(spec); }

  /** @param {string} idOrToken */
  account(idOrToken) {
    const a = this.accounts.find(idOrToken);
    if (!a) throw new Error(`unknown account ${idOrToken}`);
    return a;
  }

  /**
   * Change an account: plan, usageLimit, currentUsage (resets simulator-counted credits), models,
   * profileArn, suspended, refreshFailure {status, body, times}, refreshDelayMs, rotateRefreshToken,
   * contextLimitTokens, email, freeTrialInfo, bonuses, nextDateReset.
   */
  setAccount(idOrToken, patch) {
    const a = this.account(idOrToken);
    const { currentUsage, ...rest } = patch;
    Object.assign(a, rest);
    if (currentUsage !== undefined) { a.baseUsage = currentUsage; a.creditsUsed = 0; }
    return a;
  }

  /** Write a Kiro IDE token file for an account (see accounts.mjs writeTokenFile). */
  makeTokenFile(dir, accountOrId, opts) {
    return writeTokenFile(dir, typeof accountOrId === 'string' ? this.account(accountOrId) : accountOrId, opts);
  }

  /** @param {Reply} reply @param {{account?: string}} [opts] account id or token this reply is reserved for */
  enqueue(reply, { account } = {}) {
    this.queue.push({ reply, account: account ? this.account(account).id : undefined });
  }

  /**
   * Behaviour for every chat request of one account; null clears it. A function may return
   * undefined to fall through to the queue/default.
   * @param {string} idOrToken @param {Reply|null} reply @param {{times?: number}} [opts]
   */
  setBehavior(idOrToken, reply, { times = Infinity } = {}) {
    const id = this.account(idOrToken).id;
    if (reply == null) this.behaviors.delete(id);
    else this.behaviors.set(id, { reply, remaining: times });
  }

  /** The next web search (of any account) answers with this script instead of the canned results. */
  enqueueSearch(script) { this.searchQueue.push(script); }

  /** Every web search of one account answers with this script (`times` of them); null clears it. */
  setSearchBehavior(idOrToken, script, { times = Infinity } = {}) {
    const id = this.account(idOrToken).id;
    if (script == null) this.searchBehaviors.delete(id);
    else this.searchBehaviors.set(id, { script, remaining: times });
  }

  /** Web search calls (what the proxy sent to /mcp). */
  searchRequests() { return this.requests.filter((r) => r.path === '/mcp'); }

  refreshCount(idOrToken) { return this.account(idOrToken).refreshCount; }

  /** Credits used (base + metered by this simulator) and the limit. */
  usage(idOrToken) {
    const { used, limit } = this.accounts.usage(this.account(idOrToken));
    return { used: Math.round(used * 10000) / 10000, limit };
  }

  /** Current access tokens stop working now (403 bearer invalid) though not past expiresAt. */
  revokeAccessTokens(idOrToken) { this.accounts.revokeAccessTokens(idOrToken); }
  /** The account's access token expires now. */
  expireAccessToken(idOrToken) {
    const a = this.account(idOrToken);
    a.expiresAt = this.now();
    this.accounts.accessTokens.get(a.accessToken).expiresAt = a.expiresAt;
  }
  /** The refresh token dies: refresh → 400 invalid_grant. */
  revokeRefreshToken(idOrToken) { this.accounts.revokeRefreshToken(idOrToken); }
  /** Move the simulator clock (token expiry, device-code expiry). */
  advanceTime(ms) { this.clockOffsetMs += ms; }

  /**
   * Approve a pending social login (GET /login with autoApproveLogin=false), or mint a code for a
   * state already seen. Returns the callback URL `redirect_uri?code=…&state=…`.
   * @param {string} [state] default: the most recent pending login
   */
  approveLogin(state) {
    const pending = state !== undefined ? this.state.pendingLogins.get(state) : [...this.state.pendingLogins.values()].pop();
    if (!pending) throw new Error('no pending login');
    this.state.pendingLogins.delete(pending.state);
    const code = this.rng.str(40);
    this.state.socialCodes.set(code, { ...pending, used: false });
    const url = new URL(pending.redirectUri);
    url.searchParams.set('code', code);
    url.searchParams.set('state', pending.state);
    return url.toString();
  }

  /** Approve a device-code login now (otherwise it succeeds after `device.pendingPolls` polls). */
  approveDevice(userCode) {
    for (const d of this.state.deviceCodes.values()) if (d.userCode === userCode) d.approved = true;
  }

  /** @param {Partial<SimulatorOptions>} patch */
  configure(patch) {
    const { device, ...rest } = patch;
    Object.assign(this.config, rest);
    if (device) Object.assign(this.config.device, device);
  }

  /** Forget requests, replies, queue, behaviours, counters and login state; keep accounts unless asked. */
  reset({ accounts = false } = {}) {
    this.promptCache.clear();
    this.requests.length = 0;
    this.replies.length = 0;
    this.queue.length = 0;
    this.behaviors.clear();
    this.searchQueue.length = 0;
    this.searchBehaviors.clear();
    this.searches.length = 0;
    this.state.requestCount = 0;
    for (const key of ['pendingLogins', 'socialCodes', 'oidcClients', 'deviceCodes', 'oidcAuthCodes']) this.state[key].clear();
    if (accounts) {
      this.accounts.byId.clear(); this.accounts.accessTokens.clear(); this.accounts.refreshTokens.clear();
    } else {
      for (const a of this.accounts.list()) { a.refreshCount = 0; a.creditsUsed = 0; }
    }
  }

  /** Chat requests only (what the proxy sent to generateAssistantResponse). */
  chatRequests() { return this.requests.filter((r) => r.path === '/generateAssistantResponse' || r.headers['x-amz-target'] === CHAT_TARGET || r.headers['x-amz-target'] === RUNTIME_CHAT_TARGET); }

  // ---- helpers used by route modules ------------------------------------------------------------

  /** Abortable delay (ends early on client disconnect or close()). */
  delay(ms, signal = this.closing.signal) { return sleep(ms, signal); }

  sendJson(res, status, body, headers = {}) {
    if (res.headersSent || res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': this.idRng.uuid(), ...headers });
    res.end(text);
  }

  /** Kiro error reply: `{message, reason}` + x-amzn-errortype. */
  sendError(res, err, { body, headers = {}, retryAfter } = {}) {
    const extra = { 'x-amzn-errortype': err.errorType, ...headers };
    if (retryAfter !== undefined) extra['retry-after'] = String(retryAfter);
    this.sendJson(res, err.status, body ?? { message: err.message, reason: err.reason }, extra);
  }

  // ---- request handling -------------------------------------------------------------------------

  async #handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://sim');
    const raw = await readBody(req);
    let body;
    try { body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined; } catch { body = undefined; }
    const admin = url.pathname.startsWith('/__sim/');
    /** @type {RecordedRequest} */
    const record = {
      seq: ++this.state.requestCount, time: this.now(), method: req.method ?? 'GET', path: url.pathname,
      query: Object.fromEntries(url.searchParams), headers: req.headers,
      body: body ?? (raw.length ? raw.toString('utf8') : undefined), rawBytes: raw.length, account: null,
    };
    if (!admin && this.config.maxRecordedRequests > 0) {
      this.requests.push(record);
      if (this.requests.length > this.config.maxRecordedRequests) this.requests.shift();
    }
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    res.on('close', onAbort);
    this.closing.signal.addEventListener('abort', onAbort, { once: true });
    res.on('close', () => {
      this.closing.signal.removeEventListener('abort', onAbort);
      record.status ??= res.headersSent ? res.statusCode : undefined;
    });
    const host = hostOf(req.headers, body?.profileArn ?? url.searchParams.get('profileArn') ?? undefined);
    record.family = host.family;
    record.region = host.region;
    const target = req.headers['x-amz-target'];
    const key = req.method === 'POST' && url.pathname === '/' && typeof target === 'string' ? `TARGET ${target}` : `${req.method} ${url.pathname}`;
    const route = this.routes[key];
    /** @type {RouteContext} */
    const ctx = { req, res, url, raw, body, record, host, signal: abort.signal };
    if (!route) return this.sendJson(res, 404, { message: `No route for ${key}`, reason: null }, { 'x-amzn-errortype': 'UnknownOperationException' });
    await route(ctx);
  }

  #crash(res, err) {
    console.error('[kiro-sim] handler error:', err);
    if (!res.headersSent) this.sendJson(res, 500, { message: String(err?.message ?? err), reason: 'SIMULATOR_BUG' });
    else res.destroy();
  }

  /**
   * Resolve the bearer token, or answer 403 and return null. A Kiro API key (`ksk_…`) counts only
   * with `tokentype: API_KEY`, and only a key may say so (§11.3).
   */
  #authenticate(ctx) {
    const token = /^Bearer\s+(\S+)/i.exec(ctx.req.headers.authorization ?? '')?.[1];
    const { account } = this.accounts.authenticate(token);
    const declaresKey = ctx.req.headers.tokentype === 'API_KEY';
    if (!account || declaresKey !== (account.authMethod === 'api_key')) {
      if (account) ctx.record.validation = declaresKey ? 'tokentype API_KEY with an access token' : 'API key without tokentype: API_KEY';
      this.sendError(ctx.res, resolveError({ error: 'bearerInvalid' }));
      return null;
    }
    ctx.record.account = account.id;
    if (account.suspended) { this.sendError(ctx.res, resolveError({ error: 'suspended' }, { userId: account.userId })); return null; }
    return account;
  }

  /**
   * The host family's and the profile's rules (§11.2, §11.4); answers and returns true when the
   * call is refused. kiro.dev: token types in `kiroDevRefuses` get 403, AWS JSON only, a profileArn
   * for every account, no top-level `systemPrompt`. Both: a profile-bound account needs one of its
   * own ARNs, of the region the host serves.
   */
  #refusedByHost(ctx, account, arn, { chat = false, profileFree = false } = {}) {
    const { req, res, record, host } = ctx;
    const refuse = (status, errorType, message, reason = null) => {
      record.validation = `${host.family}: ${message}`;
      const body = host.family === 'kiro.dev' ? runtimeErrorBody(errorType, message, reason) : { message, reason };
      this.sendJson(res, status, body, { 'x-amzn-errortype': errorType });
      return true;
    };
    const rpc = req.method === 'POST' && ctx.url.pathname === '/';
    if (host.family === 'kiro.dev') {
      if (this.config.kiroDevRefuses.some((t) => t === account.authMethod || t === account.provider)) {
        return refuse(403, 'AccessDeniedException', 'The bearer token included in the request is invalid.');
      }
      // management. answers only the AWS JSON form (a REST /ListAvailableModels there got 400, kiro-gateway PR #154).
      if (host.service === 'management' && !rpc) return refuse(400, 'ValidationException', 'Improperly formed request.', 'REQUEST_BODY_INVALID');
      if (rpc && !String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.0')) {
        return refuse(400, 'SerializationException', 'Unexpected content type.');
      }
      if (!profileFree && !arn) return refuse(400, 'ValidationException', 'profileArn is required for this request.');
      if (chat && isObject(ctx.body) && 'systemPrompt' in ctx.body) return refuse(400, 'ValidationException', 'Improperly formed request.', 'REQUEST_BODY_INVALID');
    } else if (host.named && req.headers['x-amz-target'] === RUNTIME_CHAT_TARGET) {
      return refuse(404, 'UnknownOperationException', `No route for ${RUNTIME_CHAT_TARGET} on ${req.headers.host}`);
    }
    if (profileFree) return false;
    if (!arn) {
      if (account.requiresProfile && this.config.requireProfileArn) {
        record.validation = 'profileArn missing';
        this.sendError(res, resolveError({ error: 'profileArnRequired' }, { userId: account.userId }));
        return true;
      }
      return false;
    }
    const own = account.profiles.find((p) => p.arn === arn);
    if (account.requiresProfile && !own) return refuse(403, 'AccessDeniedException', 'User is not authorized to make this call.');
    if (own && host.named && own.region !== host.region) return refuse(403, 'AccessDeniedException', `Profile ${own.region} is not served in ${host.region}.`);
    return false;
  }

  #apiRoutes() {
    const chat = (flavour) => (ctx) => this.#chat(ctx, flavour);
    const usage = (ctx, params) => {
      const account = this.#authenticate(ctx);
      if (!account || this.#refusedByHost(ctx, account, params.profileArn)) return;
      this.sendJson(ctx.res, 200, usageLimitsBody(account, this.accounts.usage(account), { includeEmail: params.isEmailRequired === true || params.isEmailRequired === 'true', nowMs: this.now() }));
    };
    const models = (ctx, params) => {
      const account = this.#authenticate(ctx);
      if (account && !this.#refusedByHost(ctx, account, params.profileArn)) this.sendJson(ctx.res, 200, listModelsBody(account));
    };
    // Per region: the Kiro IDE asks us-east-1 and eu-central-1 (§11.2). Builder ID has no profiles.
    const profiles = (ctx) => {
      const account = this.#authenticate(ctx);
      if (!account || this.#refusedByHost(ctx, account, undefined, { profileFree: true })) return;
      // API keys carry no profile to list (§11.3, pi-provider-kiro PR #147).
      if (account.authMethod === 'api_key') return this.sendJson(ctx.res, 403, { message: 'Unsupported token type', reason: null }, { 'x-amzn-errortype': 'AccessDeniedException' });
      if (account.provider === 'BuilderId') {
        return this.sendError(ctx.res, { status: 403, errorType: 'AccessDeniedException', message: 'AWS Builder ID is not supported for this operation.', reason: null });
      }
      const listed = account.profiles.filter((p) => p.region === ctx.host.region);
      this.sendJson(ctx.res, 200, { profiles: listed.map((p) => ({ arn: p.arn, profileName: p.name })) });
    };
    return {
      'POST /generateAssistantResponse': chat('rest'),
      [`TARGET ${CHAT_TARGET}`]: chat('cli'),
      [`TARGET ${RUNTIME_CHAT_TARGET}`]: chat('runtime'),
      'GET /getUsageLimits': (ctx) => usage(ctx, Object.fromEntries(ctx.url.searchParams)),
      'TARGET AmazonCodeWhispererService.GetUsageLimits': (ctx) => usage(ctx, ctx.body ?? {}),
      'GET /ListAvailableModels': (ctx) => models(ctx, Object.fromEntries(ctx.url.searchParams)),
      'TARGET AmazonCodeWhispererService.ListAvailableModels': (ctx) => models(ctx, ctx.body ?? {}),
      'TARGET AmazonCodeWhispererService.ListProfiles': profiles,
      'TARGET AmazonCodeWhispererService.ListAvailableProfiles': profiles,
    };
  }



  /** generateAssistantResponse: auth → profileArn → validation → reply selection → stream. */
  async #chat(ctx, flavour) {
    const account = this.#authenticate(ctx);
    if (!account) return;
    const { body, res, record } = ctx;
    const fail = (script, detail) => { record.validation = detail; this.sendError(res, resolveError(script, { userId: account.userId })); };
    if (this.#refusedByHost(ctx, account, isObject(body) ? body.profileArn : undefined, { chat: true })) return;
    // The safe rule of §11.3: a key's request carries no (unrelated) profile ARN.
    if (account.authMethod === 'api_key' && isObject(body) && body.profileArn) return fail({ error: 'improperlyFormed' }, 'profileArn sent with an API key');
    const invalid = validateKiroRequest(ctx.raw, {
      knownModels: this.config.knownModels, maxBytes: this.config.maxBytes, rawBytes: ctx.raw.length,
      contextLimitTokens: account.contextLimitTokens ?? this.config.contextLimitTokens,
    });
    if (invalid) { record.validation = invalid.detail; return this.sendError(res, invalid); }
    const current = body.conversationState.currentMessage.userInputMessage;
    // Plan-gated model: Kiro answers with the generic 400 (§3.3).
    const catalogued = MODEL_CATALOG.some((m) => m.modelId === current.modelId);
    const allowed = account.models ?? LISTED_MODEL_IDS;
    if (current.modelId && catalogued && !allowed.includes(current.modelId)) {
      return fail({ error: 'improperlyFormed' }, `model ${current.modelId} not available to ${account.id}`);
    }
    // A text-only model refuses images anywhere in the conversation (§11.6).
    const withImages = [current, ...(body.conversationState.history ?? []).map((h) => h.userInputMessage).filter(Boolean)].some((m) => m.images?.length);
    if (withImages && !takesImages(current.modelId)) return fail({ error: 'improperlyFormed' }, `model ${current.modelId} takes no images`);
    if (this.config.enforceUsageLimits) {
      const u = this.accounts.usage(account);
      if (u.used >= u.limit) return fail({ error: 'monthlyLimit' }, 'usage limit reached');
    }
    const { script, source } = this.#selectReply(account, ctx);
    record.source = source;
    await this.#respond(ctx, script, account, flavour, current);
  }

  /** Order: per-account behaviour, `[[sim:{…}]]` directive in the current prompt, queue, default. */
  #selectReply(account, ctx) {
    /** @type {ReplyRequest} */
    const req = { account: describeAccount(account), body: ctx.body, headers: ctx.req.headers, path: ctx.url.pathname, seq: ctx.record.seq };
    const run = (reply) => (typeof reply === 'function' ? reply(req) : reply);
    const behavior = this.behaviors.get(account.id);
    if (behavior) {
      const script = run(behavior.reply);
      if (script) {
        if (--behavior.remaining <= 0) this.behaviors.delete(account.id);
        return { script, source: 'behavior' };
      }
    }
    const directive = parseDirective(ctx.body.conversationState.currentMessage.userInputMessage.content);
    if (directive) return { script: directive, source: 'directive' };
    const i = this.queue.findIndex((q) => !q.account || q.account === account.id);
    if (i >= 0) {
      const [item] = this.queue.splice(i, 1);
      return { script: run(item.reply) ?? {}, source: 'queue' };
    }
    return { script: {}, source: 'default' };
  }

  async #respond(ctx, script, account, flavour, current) {
    const { res, record, signal } = ctx;
    if (script.resetBeforeHeaders) {
      record.outcome = 'reset-before-headers';
      const socket = res.socket;
      if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy(); else socket?.destroy();
      return;
    }
    await this.delay(script.firstByteDelayMs, signal);
    if (signal.aborted) { record.outcome = 'aborted'; return; }
    if (isErrorReply(script)) {
      record.outcome = 'error';
      return this.sendError(res, resolveError(script, { userId: account.userId }), { body: script.body, headers: script.headers, retryAfter: script.retryAfter });
    }
    const window = contextWindowFor(current.modelId);
    const cacheUsage = this.promptCache.usage(ctx.body, Math.ceil(ctx.raw.length / 4));
    const { segments, frameCount, summary } = buildStream(script, {
      cacheUsage,
      rng: createRng((this.config.seed * 1000003 + record.seq) >>> 0), // per-request stream: same seed + seq ⇒ same bytes
      defaultText: `Echo: ${defaultEchoText(current)}`,
      defaultCredits: this.config.defaultCredits,
      contextUsagePercentage: Math.round((Math.ceil(ctx.raw.length / 4) / window) * 100 * 100) / 100,
      cliFlavour: flavour !== 'rest', // AWS JSON streams (CLI, runtime) open with initial-response
      modelId: current.modelId,
    });
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': this.idRng.uuid(),
      'cache-control': 'no-cache',
      ...(this.config.keepAlive ? {} : { connection: 'close' }),
      ...script.headers,
    });
    res.flushHeaders();
    await this.delay(script.firstFrameDelayMs, signal);
    const chunkSizes = [];
    const outcome = signal.aborted ? 'aborted' : await writeStream(res, segments, {
      rng: createRng((this.config.seed * 7919 + record.seq) >>> 0), signal,
      chunking: script.chunking ?? this.config.chunking, maxChunk: this.config.maxChunkBytes,
      frameDelayMs: script.frameDelayMs, stallAfterFrames: script.stallAfterFrames, resetAfterFrames: script.resetAfterFrames,
    }, (chunk) => chunkSizes.push(chunk.length));
    record.outcome = outcome;
    if (outcome === 'ended' && summary.credits != null) account.creditsUsed += summary.credits;
    this.replies.push({ seq: record.seq, account: account.id, source: record.source, ...summary, frameCount, outcome, chunkSizes });
  }

  // ---- admin API for out-of-process controllers --------------------------------------------------

  #adminRoutes() {
    const ok = (ctx, body = { ok: true }) => this.sendJson(ctx.res, 200, body);
    const guard = (fn) => async (ctx) => {
      try { await fn(ctx); } catch (err) { this.sendJson(ctx.res, 400, { error: String(err?.message ?? err) }); }
    };
    return {
      'GET /__sim/health': (ctx) => ok(ctx, { ok: true, url: this.url }),
      'POST /__sim/enqueue': guard((ctx) => {
        const b = ctx.body ?? {};
        const replies = Array.isArray(b.replies) ? b.replies : [b.reply ?? {}];
        for (const r of replies) this.enqueue(r, { account: b.account });
        ok(ctx, { queued: this.queue.length });
      }),
      'POST /__sim/behavior': guard((ctx) => {
        const b = ctx.body ?? {};
        this.setBehavior(b.account, b.reply ?? null, { times: b.times ?? Infinity });
        ok(ctx);
      }),
      'POST /__sim/accounts': guard((ctx) => {
        const { tokenDir, fileName, ...spec } = ctx.body ?? {};
        const account = this.addAccount(spec);
        const files = tokenDir ? this.makeTokenFile(tokenDir, account, { fileName }) : undefined;
        ok(ctx, { account: describeAccount(account), files });
      }),
      'GET /__sim/accounts': (ctx) => ok(ctx, { accounts: this.accounts.list().map(describeAccount) }),
      'POST /__sim/accounts/update': guard((ctx) => {
        const { id, ...patch } = ctx.body ?? {};
        ok(ctx, { account: describeAccount(this.setAccount(id, patch)) });
      }),
      'POST /__sim/accounts/revoke': guard((ctx) => {
        const { id, what = 'access' } = ctx.body ?? {};
        if (what === 'refresh') this.revokeRefreshToken(id);
        else if (what === 'expire') this.expireAccessToken(id);
        else this.revokeAccessTokens(id);
        ok(ctx);
      }),
      'GET /__sim/requests': (ctx) => {
        // `kind=chat`: chat calls of either style (REST path, or the JSON 1.0 target at the root).
        const path = ctx.url.searchParams.get('path');
        const chat = ctx.url.searchParams.get('kind') === 'chat';
        ok(ctx, { requests: chat ? this.chatRequests() : path ? this.requests.filter((r) => r.path === path) : this.requests });
      },
      'GET /__sim/replies': (ctx) => ok(ctx, { replies: this.replies }),
      'GET /__sim/searches': (ctx) => ok(ctx, { searches: this.searches }),
      'POST /__sim/search': guard((ctx) => {
        const b = ctx.body ?? {};
        if (b.account) this.setSearchBehavior(b.account, b.script ?? null, { times: b.times ?? Infinity });
        else this.enqueueSearch(b.script ?? {});
        ok(ctx);
      }),
      'POST /__sim/reset': guard((ctx) => { this.reset({ accounts: ctx.body?.accounts === true }); ok(ctx); }),
      'POST /__sim/config': guard((ctx) => { this.configure(ctx.body ?? {}); ok(ctx, { config: { ...this.config, knownModels: undefined } }); }),
      'POST /__sim/time': guard((ctx) => { this.advanceTime(Number(ctx.body?.advanceMs ?? 0)); ok(ctx, { now: this.now() }); }),
      'POST /__sim/login/approve': guard((ctx) => ok(ctx, { callbackUrl: this.approveLogin(ctx.body?.state) })),
    };
  }
}

/** Read the whole request body (the simulator must see >600 KB bodies to reject them). */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * `[[sim:{…}]]` in the current prompt is a reply script, so out-of-process tests (CLI, e2e)
 * can script a reply through the proxy. Tries each closing `]]` until the JSON parses.
 * @param {string} content
 * @returns {ReplyScript|null}
 */
export function parseDirective(content) {
  return findDirective(content)?.script ?? null;
}

/** @returns {{script: ReplyScript, start: number, end: number}|null} end is exclusive */
function findDirective(content) {
  const start = content.indexOf('[[sim:');
  if (start < 0) return null;
  const from = start + 6;
  for (let end = content.indexOf(']]', from); end >= 0; end = content.indexOf(']]', end + 1)) {
    try {
      const script = JSON.parse(content.slice(from, end));
      if (isObject(script)) return { script, start, end: end + 2 };
    } catch { /* keep looking */ }
  }
  return null;
}

/** The deterministic default answer: current user text (directive removed), else tool-result text. */
function defaultEchoText(current) {
  const d = findDirective(current.content);
  let text = (d ? current.content.slice(0, d.start) + current.content.slice(d.end) : current.content).trim();
  if (!text) {
    text = (current.userInputMessageContext?.toolResults ?? [])
      .flatMap((r) => r.content.map((c) => c.text ?? JSON.stringify(c.json))).join(' ').trim();
  }
  return text.slice(0, 200);
}
