// Layer 4: ties an account to a Kiro call. Takes a conversation, picks an account from the
// pool, calls Kiro, classifies failures and fails over before the client sees a byte, then
// yields decoded reply events and records the request log entry. Just over 500 lines: one class
// whose chat, web-search and count paths share the failover loop and the log entry's bookkeeping.
import type { Conversation, ReplyEvent, Usage } from './model';
import type { Exchange, ExchangeRequest, ExchangeResult, WebSearchRequest, WebSearchRun } from './exchange-types';
import { hasLimits, ReplyLimiter } from './reply-limits';
import type { ProxyConfig } from './config';
import { ProxyError, asProxyError, clientClosedError, messageOf, tooLongError } from './errors';
import { redact } from './logger';
import type { RequestLog } from './log';
import { kiroRequestTokens, TokenCalibration } from './kiro/token-calibration';
import type { KiroHosts } from './kiro/endpoints';
import type { KiroHttp } from './kiro/http';
import { sendChat } from './kiro/chat';
import { buildKiroRequest } from './kiro/request';
import { hasUrlImages, replaceImagesWithNotes, resolveImageUrls } from './kiro/images';
import { isPublicAddress } from './kiro/public-address';
import { LightAbortController, abortWith } from './abort';
import { contextWindowOf, resolveKiroModel, unlistedModel } from './kiro/models';
import { decodeKiroStream } from './kiro/reply';
import { KiroCallError, classifyKiroFailure, networkFailure, type KiroFailure } from './kiro/errors';
import { kiroWebSearch, type WebSearchAnswer } from './kiro/web-search';
import type { AccountPool, Lease } from './pool/pool';
import { startWithWebSearch } from './web-search';

export type { Exchange, ExchangeRequest, ExchangeResult, WebSearchRequest, WebSearchRun } from './exchange-types';

export interface ExchangeDeps {
  config: ProxyConfig;
  http: KiroHttp;
  hosts: KiroHosts;
  pool: AccountPool;
  log: RequestLog;
}

/** All URL images of one request together; a client waits for them before Kiro even starts. */
const IMAGE_FETCH_TIMEOUT_MS = 30_000;

/** Failures that take the account out of rotation: try the next one, free of the retry budget. */
const ACCOUNT_FAILURES = new Set<KiroFailure['kind']>(['throttled', 'suspicious', 'exhausted', 'suspended', 'auth', 'proxy']);

export class KiroExchange implements Exchange {
  /** Kiro's token counts against our estimates, learned per model from every reply. */
  readonly calibration = new TokenCalibration();

  constructor(private readonly deps: ExchangeDeps) {}

  countTokens(conversation: Conversation): number {
    const { config } = this.deps;
    const kiroModel = resolveKiroModel(conversation.model, config.modelMapping, config.defaultModel, this.deps.pool.availableModels());
    // URL images are not fetched to be counted: each costs what an image usually does.
    const urlImages = conversation.messages.reduce((n, m) => n + m.content.filter((b) => b.type === 'image' && b.source.kind === 'url').length, 0);
    const countable = urlImages === 0 ? conversation : withoutUrlImages(conversation);
    // Stand-ins as long as the real ones, so the count is the size of the request `start` sends.
    const built = buildKiroRequest(countable, { kiroModel, conversationId: CONVERSATION_ID_STAND_IN, profileArn: PROFILE_ARN_STAND_IN });
    return this.calibration.estimate(kiroModel, kiroRequestTokens(built.textWeight, built.body)) + urlImages * URL_IMAGE_TOKENS;
  }

  async start(request: ExchangeRequest): Promise<ExchangeResult> {
    const { webSearch } = request.conversation;
    if (!webSearch) return this.startChat(request);
    return startWithWebSearch(
      {
        chat: (conversation) => this.startChat({ ...request, conversation }),
        search: (query) =>
          this.search({
            query,
            sessionId: request.conversation.sessionId,
            endpoint: request.endpoint,
            clientModel: request.conversation.model,
            stream: request.stream,
            signal: request.signal,
          }),
      },
      request,
      webSearch,
    );
  }

  private async startChat(request: ExchangeRequest): Promise<ExchangeResult> {
    const started = Date.now();
    const { conversation } = request;
    const { config } = this.deps;
    const live = this.deps.pool.availableModels();
    const kiroModel = resolveKiroModel(conversation.model, config.modelMapping, config.defaultModel, live);
    const attempt: Attempt = { count: 0 };
    try {
      const unlisted = unlistedModel(conversation.model, config.modelMapping, live);
      if (unlisted) throw new ProxyError('not_found', `No Kiro account offers the model "${unlisted}"; GET /v1/models lists the models they do.`);
      const warnings: string[] = [];
      // A text-only model gets a note for each image instead of Kiro's 400 (§11.6); the client is told once.
      if (!this.deps.pool.takesImages(kiroModel)) {
        const { conversation: textOnly, replaced } = replaceImagesWithNotes(conversation, kiroModel);
        if (replaced) {
          request = { ...request, conversation: textOnly };
          warnings.push(`${kiroModel} does not accept images: ${replaced} image(s) were replaced by a note.`);
        }
      }
      // Skipped, not awaited empty, when there is nothing to fetch: the common case.
      if (hasUrlImages(request.conversation)) {
        await resolveImageUrls(request.conversation, this.deps.http, {
          maxBytes: 10 * 1024 * 1024,
          timeoutMs: IMAGE_FETCH_TIMEOUT_MS,
          signal: request.signal,
          addressAllowed: this.deps.config.allowPrivateImageUrls ? () => true : isPublicAddress,
        });
      }
      const upstream = await this.connect(request, kiroModel, attempt);
      const events = this.tracked(request, upstream, kiroModel, started, attempt.count);
      this.endIfNeverRead(request.signal, upstream);
      return { kiroModel, accountId: upstream.lease.accountId, estimatedInputTokens: upstream.estimatedInputTokens, events, ...(warnings.length ? { warnings } : {}) };
    } catch (err) {
      const error = asProxyError(err);
      this.record(request, {
        started,
        kiroModel,
        status: request.signal.aborted ? 499 : error.status,
        error: error.message,
        accountId: attempt.accountId,
        accountLabel: attempt.label,
        attempts: attempt.count,
        // A cancelled request keeps what was sent too: it is what the user looks for.
        kiroRequest: error.status >= 500 || error.kind === 'invalid_request' || request.signal.aborted ? attempt.kiroRequest : undefined,
      });
      throw error;
    }
  }

  /** Finds an account whose chat call answers, failing over until one does or the budget is spent. */
  private connect(request: ExchangeRequest, kiroModel: string, attempt: Attempt): Promise<Upstream> {
    const { config } = this.deps;
    let emptyReplies = 0;
    return this.failover({ sessionKey: request.conversation.sessionId, kiroModel, signal: request.signal, pinAccountId: request.pinAccountId }, attempt, async (lease) => {
      const built = buildKiroRequest(request.conversation, {
        kiroModel,
        profileArn: lease.credentials.profileArn,
        conversationId: lease.conversationId,
      });
      attempt.kiroRequest = built.bytes;
      const rawInputTokens = kiroRequestTokens(built.textWeight, built.body);
      const call = () => this.call(lease, built.bytes, built.toolNameMap, kiroModel, rawInputTokens, request.signal);
      let outcome = await call();
      // An empty reply (§11.8) is asked again on the same account before the client sees a byte.
      while ('upstream' in outcome && isEmptyReply(outcome.upstream.first)) {
        this.letGo(outcome.upstream, false, false);
        if (emptyReplies++ >= config.emptyReplyRetries) {
          throw new ProxyError('upstream', `Kiro sent an empty reply (no text, no tool call) ${emptyReplies} time(s) in a row. Retry the request.`);
        }
        outcome = await call();
      }
      if (!('upstream' in outcome)) return outcome;
      outcome.upstream.kiroRequest = built.bytes;
      // The stream owns the lease from here (`tracked` releases it).
      return { value: outcome.upstream };
    });
  }

  /**
   * Runs `once` on an account after another until one succeeds: account-level failures take the
   * account out of rotation and try the next, transient ones retry with backoff, a dead token is
   * refreshed once. A failed attempt's lease is released here; a successful one's is the caller's.
   */
  private async failover<T>(
    target: { sessionKey?: string; kiroModel?: string; signal: AbortSignal; pinAccountId?: string },
    attempt: Attempt,
    once: (lease: Lease) => Promise<{ value: T } | { failure: KiroFailure }>,
  ): Promise<T> {
    const { pool, config } = this.deps;
    // Made on the first failure that needs one: most requests succeed on their first account.
    let exclude: Set<string> | undefined = target.pinAccountId
      ? new Set(pool.list().map((a) => a.id).filter((id) => id !== target.pinAccountId))
      : undefined;
    let avoid: Set<string> | undefined;
    let outOfRotation: Set<string> | undefined;
    let forcedRefresh: Set<string> | undefined;
    let transientFailures = 0;
    for (;;) {
      if (target.signal.aborted) throw clientClosedError();
      const lease = await pool.acquire({ sessionKey: target.sessionKey, kiroModel: target.kiroModel, exclude: exclude ?? NO_ACCOUNTS, avoid, signal: target.signal });
      attempt.count++;
      attempt.accountId = lease.accountId;
      attempt.label = lease.label;
      let outcome: { value: T } | { failure: KiroFailure };
      try {
        outcome = await once(lease);
      } catch (err) {
        pool.release(lease);
        throw err;
      }
      if ('value' in outcome) return outcome.value;
      pool.release(lease);

      const failure = outcome.failure;
      pool.reportFailure(lease.accountId, failure);
      if (target.signal.aborted) throw clientClosedError();
      switch (failure.kind) {
        case 'too_long':
          throw tooLongError();
        case 'bad_request':
          throw new ProxyError('invalid_request', `Kiro rejected the request: ${failure.message}`);
        case 'bearer_invalid':
          // One retry on the same account with a new token (refreshed unless another request
          // already did); after that it sits out.
          if (forcedRefresh?.has(lease.accountId)) {
            exclude = withAccount(exclude, lease.accountId);
          } else {
            forcedRefresh = withAccount(forcedRefresh, lease.accountId);
            await pool.forceRefresh(lease.accountId, lease.credentials.accessToken).catch(() => {
              exclude = withAccount(exclude, lease.accountId);
            });
          }
          continue;
        case 'transient':
          if (++transientFailures > config.maxRetries) {
            throw new ProxyError('upstream', `Kiro failed ${transientFailures} times in a row: ${failure.message}`);
          }
          // Prefer another account next time; this one stays usable if it is the last.
          avoid = withAccount(avoid, lease.accountId);
          await backoff(transientFailures, target.signal);
          continue;
        default:
          if (ACCOUNT_FAILURES.has(failure.kind)) {
            // A pinned request has no other account to fail over to: say what happened to this one.
            if (target.pinAccountId) throw new ProxyError('upstream', failure.message);
            // The pool has taken the account out of rotation (cooldown, exhausted, suspended), so
            // the next acquire picks another one, or waits for the first to recover. Should the
            // same account come back anyway, it is excluded from this request.
            if (outOfRotation?.has(lease.accountId)) exclude = withAccount(exclude, lease.accountId);
            outOfRotation = withAccount(outOfRotation, lease.accountId);
            continue;
          }
          throw new ProxyError('upstream', failure.message);
      }
    }
  }

  async search(request: WebSearchRequest): Promise<WebSearchRun> {
    const started = Date.now();
    const attempt: Attempt = { count: 0 };
    const query = request.query.trim();
    const entry = (status: number, error?: string) =>
      this.record(
        { endpoint: request.endpoint, stream: request.stream, signal: request.signal, conversation: { model: request.clientModel, sessionId: request.sessionId } },
        { started, kiroModel: undefined, status, error, accountId: attempt.accountId, accountLabel: attempt.label, attempts: attempt.count, webSearches: 1 },
      );
    if (!query) {
      entry(400, 'The web search query is empty.');
      return { outcome: { failure: 'invalid_input', message: 'The web search query is empty.' } };
    }
    const { http, hosts, pool } = this.deps;
    try {
      const answer = await this.failover<WebSearchAnswer>({ sessionKey: request.sessionId, signal: request.signal }, attempt, async (lease) => {
        try {
          return { value: await kiroWebSearch(http.via(lease.proxy), hosts, lease.credentials, query, request.signal) };
        } catch (err) {
          if (request.signal.aborted) throw clientClosedError();
          if (err instanceof KiroCallError) return { failure: err.failure };
          throw err;
        } finally {
          // A search holds its account only for the call: the conversation's stickiness stays.
          pool.release(lease);
        }
      });
      if (attempt.accountId) pool.reportSuccess(attempt.accountId, {});
      entry(200);
      return { outcome: { results: answer.results }, accountId: attempt.accountId };
    } catch (err) {
      const error = asProxyError(err);
      if (request.signal.aborted) {
        entry(499, error.message);
        throw clientClosedError();
      }
      entry(error.status, error.message);
      // Kiro refusing a non-empty query is the account's or the service's problem (a missing
      // profileArn, say), not the client's input: Anthropic calls that "unavailable".
      const failure = error.kind === 'rate_limit' ? 'rate_limited' : 'unavailable';
      return { outcome: { failure, message: redact(error.message) }, accountId: attempt.accountId };
    }
  }

  /** One call to one account; resolves with the stream once its first event arrived. */
  private async call(
    lease: Lease,
    requestBytes: Buffer,
    toolNameMap: Map<string, string>,
    kiroModel: string,
    rawInputTokens: number,
    clientSignal: AbortSignal,
  ): Promise<CallOutcome> {
    const { http, hosts, config } = this.deps;
    // Not Node's AbortController: its signal costs several µs per request (see ./abort).
    const abort = new LightAbortController();
    // Also when the client left while we were picking an account: no Kiro request runs behind it.
    const unlink = abortWith(clientSignal, abort);
    const firstByteTimer = setTimeout(() => abort.abort(new Error('first byte timeout')), config.firstByteTimeoutMs);
    const sentAt = Date.now();
    try {
      const res = await sendChat(http.via(lease.proxy), hosts, lease.credentials, requestBytes, abort.signal);
      if (res.status !== 200) {
        clearTimeout(firstByteTimer);
        unlink();
        return { failure: classifyKiroFailure(res.status, res.text ?? '', res.headers) };
      }
      const estimatedInputTokens = this.calibration.estimate(kiroModel, rawInputTokens);
      const events = decodeKiroStream(res.body, {
        contextWindowTokens: contextWindowOf(kiroModel),
        estimateInputTokens: () => estimatedInputTokens,
        toolNameMap,
        onPromptCounted: (tokens) => this.calibration.observe(kiroModel, rawInputTokens, tokens),
      })[Symbol.asyncIterator]();
      const first = await events.next();
      clearTimeout(firstByteTimer);
      return {
        upstream: { lease, first, events, ttfbMs: Date.now() - sentAt, abort, unlink, estimatedInputTokens },
      };
    } catch (err) {
      clearTimeout(firstByteTimer);
      unlink();
      abort.abort();
      if (clientSignal.aborted) throw clientClosedError();
      if (err instanceof ProxyError) return { failure: { kind: 'transient', status: 502, message: err.message } };
      return { failure: networkFailure(err) };
    }
  }

  /**
   * An adapter that fails before it reads the reply never runs `tracked`: when the request ends
   * (the server aborts its signal then, as a client leaving does), the account and the Kiro call
   * are let go all the same. Both steps are idempotent, so a late first read is harmless.
   */
  private endIfNeverRead(signal: AbortSignal, upstream: Upstream): void {
    signal.addEventListener(
      'abort',
      () => {
        if (!upstream.reading) this.letGo(upstream);
      },
      { once: true },
    );
  }

  /** Lets an upstream call go: the account's lease (unless kept for a retry), the link to the client and, unless it ended, the Kiro request. */
  private letGo(upstream: Upstream, stillRunning = true, releaseLease = true): void {
    if (releaseLease) this.deps.pool.release(upstream.lease);
    upstream.unlink();
    if (stillRunning) upstream.abort.abort();
  }

  /** Passes the events through, then settles the account's counters and the log entry. */
  private async *tracked(
    request: ExchangeRequest,
    upstream: Upstream,
    kiroModel: string,
    started: number,
    attempts: number,
  ): AsyncGenerator<ReplyEvent> {
    const { lease } = upstream;
    upstream.reading = true;
    let usage: Usage | undefined;
    let failure: ProxyError | undefined;
    const { conversation } = request;
    const limiter = hasLimits(conversation)
      ? new ReplyLimiter(conversation, (outputTokens) => ({ inputTokens: upstream.estimatedInputTokens, outputTokens }))
      : undefined;
    try {
      let step = upstream.first;
      while (!step.done) {
        if (limiter) {
          for (const event of limiter.push(step.value)) {
            if (event.type === 'end') usage = event.usage;
            yield event;
          }
          // The client has what it asked for: the Kiro call ends here (finally).
          if (limiter.cut) break;
        } else {
          if (step.value.type === 'end') usage = step.value.usage;
          yield step.value;
        }
        step = await upstream.events.next();
      }
    } catch (err) {
      const raw = request.signal.aborted
        ? clientClosedError()
        : err instanceof ProxyError
          ? err
          : new ProxyError('upstream', 'The Kiro stream failed: ' + messageOf(err), { cause: err });
      // Security: this message reaches the client as a stream error event (past the server's
      // own scrubbing) and Kiro's exception text is quoted in it: remove anything secret-shaped.
      failure = raw.withMessage(redact(raw.message));
      throw failure;
    } finally {
      // A client that stopped reading mid-stream, or a reply cut at its limit, must not leave the Kiro request running.
      this.letGo(upstream, !usage || limiter?.cut === true);
      if (usage) this.deps.pool.reportSuccess(lease.accountId, { credits: usage.credits });
      this.record(request, {
        started,
        kiroModel,
        // The client's signal ends early only when it went away before its reply was done: cancelled.
        status: failure ? (request.signal.aborted ? 499 : failure.status) : usage && !request.signal.aborted ? 200 : 499,
        error: failure?.message,
        accountId: lease.accountId,
        accountLabel: lease.label,
        attempts,
        ttfbMs: upstream.ttfbMs,
        usage,
        // A cancelled request keeps what was sent, for the log's details.
        kiroRequest: usage && !request.signal.aborted ? undefined : upstream.kiroRequest,
      });
    }
  }

  private record(
    request: Pick<ExchangeRequest, 'endpoint' | 'stream' | 'signal'> & { conversation: Pick<Conversation, 'model' | 'sessionId'> },
    r: {
      started: number;
      kiroModel: string | undefined;
      status: number;
      error?: string;
      accountId?: string;
      accountLabel?: string;
      attempts: number;
      ttfbMs?: number;
      usage?: Usage;
      /** The request sent, logged as text with an entry that failed. */
      kiroRequest?: Buffer;
      /** Set on the entry of a web search call. */
      webSearches?: number;
    },
  ): void {
    this.deps.log.add({
      time: r.started,
      endpoint: request.endpoint,
      clientModel: request.conversation.model,
      kiroModel: r.kiroModel,
      accountId: r.accountId,
      accountLabel: r.accountLabel,
      stream: request.stream,
      status: r.status,
      durationMs: Date.now() - r.started,
      ttfbMs: r.ttfbMs,
      inputTokens: r.usage?.inputTokens,
      outputTokens: r.usage?.outputTokens,
      cacheReadTokens: r.usage?.cacheReadTokens,
      cacheWriteTokens: r.usage?.cacheWriteTokens,
      credits: r.usage?.credits,
      attempts: r.attempts,
      sessionId: request.conversation.sessionId,
      // Security: the log is served by /admin/logs and exported; error texts quote upstream bodies.
      error: r.error === undefined ? undefined : redact(r.error),
      kiroRequest: r.status >= 400 ? r.kiroRequest?.toString() : undefined,
      ...(r.webSearches ? { webSearches: r.webSearches } : {}),
    });
  }
}

interface Upstream {
  lease: Lease;
  first: IteratorResult<ReplyEvent>;
  events: AsyncIterator<ReplyEvent>;
  ttfbMs: number;
  abort: LightAbortController;
  /** Stops following the client's signal. */
  unlink: () => void;
  /** `tracked` took over (it releases the lease and ends the call). */
  reading?: boolean;
  /** The prompt's tokens as estimated before Kiro answered. */
  estimatedInputTokens: number;
  /** The request sent, for the log of a request that did not finish. */
  kiroRequest?: Buffer;
}

/** A reply that ended normally before any text, reasoning or tool call (§11.8). */
function isEmptyReply(first: IteratorResult<ReplyEvent>): boolean {
  return !first.done && first.value.type === 'end' && first.value.stopReason === 'end_turn' && !first.value.truncated;
}

/** The shape and usual length of a Kiro profile ARN. */
const PROFILE_ARN_STAND_IN = 'arn:aws:codewhisperer:us-east-1:000000000000:profile/XXXXXXXXXXXX';
/** A conversation id's length (a UUID), without drawing one per count. */
const CONVERSATION_ID_STAND_IN = '00000000-0000-0000-0000-000000000000';

/** Images a count does not fetch. */
const URL_IMAGE_TOKENS = 1600;

function withoutUrlImages(conversation: Conversation): Conversation {
  return {
    ...conversation,
    messages: conversation.messages.map((m) => ({ ...m, content: m.content.filter((b) => b.type !== 'image' || b.source.kind !== 'url') })),
  };
}

type CallOutcome = { upstream: Upstream } | { failure: KiroFailure };

/** What one request's attempts got to, for its log entry. */
interface Attempt {
  count: number;
  accountId?: string;
  label?: string;
  kiroRequest?: Buffer;
}

/** What `acquire` excludes before any attempt failed. */
const NO_ACCOUNTS: ReadonlySet<string> = new Set();

/** `accounts` with `id` added, made when there was none yet. */
function withAccount(accounts: Set<string> | undefined, id: string): Set<string> {
  return (accounts ?? new Set<string>()).add(id);
}

function backoff(failures: number, signal: AbortSignal): Promise<void> {
  const ms = Math.min(2000, 200 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

