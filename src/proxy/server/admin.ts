// Management endpoints (`/admin/*`), `/health` and `/v1/models`. They never return a token:
// everything here is built from the pool's secret-free account views.
import type { ServerDeps, Route } from './types';
import { sendJson } from '../protocols/reply';
import { ProxyError } from '../errors';
import { isRecord } from '../records';
import { shownKiroEndpoint } from '../config';
import { modelsListBody, type GeminiModel } from '../protocols/gemini';
import type { CatalogModel } from '../pool/catalog';
import { contextWindowOf, listClientModels, resolveKiroModel } from '../kiro/models';

export function healthBody(deps: ServerDeps, full: boolean): unknown {
  if (!full) return { status: 'ok' };
  return {
    status: 'ok',
    service: 'kiro-proxy',
    version: deps.version,
    // Set only when KIRO_PROXY_ENDPOINT sends the Kiro calls (and the tokens) somewhere else.
    ...(deps.config.kiroEndpoint ? { kiroEndpoint: shownKiroEndpoint(deps.config.kiroEndpoint) } : {}),
    accounts: deps.pool.list().map((a) => ({
      id: a.id,
      label: a.label,
      state: a.state,
      enabled: a.enabled,
      profileArn: a.profileArn,
      apiRegion: a.apiRegion,
      cooldownUntil: a.cooldownUntil,
      reason: a.reason,
    })),
  };
}

/** One model as the listings show it; the protocols pick their own fields from it. */
interface ListedModel {
  id: string;
  displayName: string;
  description?: string;
  contextWindow: number;
  maxOutputTokens: number;
  /** What Kiro said of it; absent for built-in names shown before any account reported its list. */
  kiro?: CatalogModel;
}

const DEFAULT_OUTPUT_TOKENS = 64_000;

/**
 * The models the listings show: every model an enabled account lists (Kiro's ids, verbatim), then
 * the client-style names (`claude-sonnet-4-5`, `gpt-4o`, the user's mapped names) of models an
 * account can use; before any account reported its list, the built-in names and aliases.
 */
function listedModels(deps: ServerDeps): ListedModel[] {
  const { modelMapping, defaultModel } = deps.config;
  const catalog = deps.pool.catalog();
  const fromKiro = (id: string, model: CatalogModel): ListedModel => ({
    id,
    displayName: id === model.id ? model.name : id,
    ...(model.description ? { description: model.description } : {}),
    contextWindow: model.contextWindow ?? contextWindowOf(model.id),
    maxOutputTokens: model.maxOutputTokens ?? DEFAULT_OUTPUT_TOKENS,
    kiro: model,
  });
  const builtIn = (id: string): ListedModel => ({
    id,
    displayName: id,
    contextWindow: contextWindowOf(resolveKiroModel(id, modelMapping, defaultModel)),
    maxOutputTokens: DEFAULT_OUTPUT_TOKENS,
  });
  if (catalog.length === 0) return listClientModels(modelMapping, undefined, defaultModel).map(builtIn);
  const live = new Set(catalog.map((m) => m.id));
  const clientNames = listClientModels(modelMapping, live, defaultModel).filter((name) => !live.has(name));
  return [
    ...catalog.map((m) => fromKiro(m.id, m)),
    ...clientNames.map((name) => {
      const target = catalog.find((m) => m.id === resolveKiroModel(name, modelMapping, defaultModel, live));
      return target ? fromKiro(name, target) : builtIn(name);
    }),
  ];
}

/** Kiro's facts in snake case, for the OpenAI/Anthropic list (neither has fields of its own for them). */
function kiroFacts(model: CatalogModel): Record<string, unknown> {
  return {
    context_window: model.contextWindow,
    max_output_tokens: model.maxOutputTokens,
    input_types: model.supportsImages ? ['text', 'image'] : ['text'],
    credit_multiplier: model.rateMultiplier,
    credit_unit: model.rateUnit,
    prompt_caching: model.promptCaching,
    accounts: model.accounts,
  };
}

/**
 * One list every SDK can read: OpenAI's `{object, data[{id, object, owned_by}]}` and Anthropic's
 * `{data[{type, id, display_name}], has_more}` and Gemini's `{models[{name, …}]}`. What Kiro says
 * of a model (context window, images, credit rate, caching) is under `kiro` in `data`, and in
 * Gemini's own fields (`inputTokenLimit`, `outputTokenLimit`, `description`) in `models`.
 */
export function modelsBody(deps: ServerDeps): unknown {
  const listed = listedModels(deps);
  const created = 1_735_689_600;
  const data = listed.map((m) => ({
    id: m.id,
    object: 'model',
    type: 'model',
    display_name: m.displayName,
    created,
    created_at: new Date(created * 1000).toISOString(),
    owned_by: 'kiro-proxy',
    ...(m.kiro ? { kiro: kiroFacts(m.kiro) } : {}),
  }));
  // `models` is the Gemini list shape: Google's SDK (v1 API) reads this same path.
  const models = (modelsListBody(listed.map(asGeminiModel)) as { models: unknown[] }).models;
  return { object: 'list', data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, models };
}

/** The same models for the Gemini list (`GET /v1beta/models`). */
export function geminiModels(deps: ServerDeps): GeminiModel[] {
  return listedModels(deps).map(asGeminiModel);
}

function asGeminiModel(m: ListedModel): GeminiModel {
  return {
    id: m.id,
    displayName: m.displayName,
    ...(m.description ? { description: m.description } : {}),
    inputTokenLimit: m.contextWindow,
    outputTokenLimit: m.maxOutputTokens,
  };
}

export function adminRoutes(deps: ServerDeps): Route[] {
  const { pool, log } = deps;
  const account = (id: string | undefined) => {
    if (!id || !pool.get(id)) throw new ProxyError('not_found', `No account with id "${id ?? ''}".`);
    return id;
  };
  const admin = (method: Route['method'], pattern: RegExp, handle: Route['handle']): Route => ({
    method,
    pattern,
    protocol: 'plain',
    guarded: true,
    handle,
  });
  return [
    admin('GET', /^\/admin\/accounts$/, (ctx) => sendJson(ctx.res, 200, { accounts: pool.list() })),
    admin('POST', /^\/admin\/accounts\/(?<id>[^/]+)\/refresh$/, async (ctx) => {
      const id = account(ctx.params.id);
      await pool.refresh(id);
      sendJson(ctx.res, 200, { account: pool.view(id) });
    }),
    admin('POST', /^\/admin\/accounts\/(?<id>[^/]+)\/enable$/, async (ctx) => {
      const id = account(ctx.params.id);
      await pool.setEnabled(id, true);
      sendJson(ctx.res, 200, { account: pool.view(id) });
    }),
    admin('POST', /^\/admin\/accounts\/(?<id>[^/]+)\/disable$/, async (ctx) => {
      const id = account(ctx.params.id);
      await pool.setEnabled(id, false);
      sendJson(ctx.res, 200, { account: pool.view(id) });
    }),
    {
      // {"proxy": "socks5://user:password@host:port"} sets the account's own outbound proxy; null removes it.
      ...admin('PUT', /^\/admin\/accounts\/(?<id>[^/]+)\/proxy$/, async (ctx) => {
        const id = account(ctx.params.id);
        const proxy = isRecord(ctx.body) ? ctx.body.proxy : undefined;
        if (proxy !== null && typeof proxy !== 'string') throw new ProxyError('invalid_request', 'Send {"proxy": "socks5://host:port"} (http, https, socks5, socks5h), or {"proxy": null} to remove it.');
        await pool.setProxy(id, proxy ?? undefined);
        sendJson(ctx.res, 200, { account: pool.view(id) });
      }),
      json: true,
    },
    admin('DELETE', /^\/admin\/accounts\/(?<id>[^/]+)$/, async (ctx) => {
      await pool.remove(account(ctx.params.id));
      sendJson(ctx.res, 200, { removed: ctx.params.id });
    }),
    admin('DELETE', /^\/admin\/cooldowns$/, (ctx) => sendJson(ctx.res, 200, { cleared: pool.clearCooldowns() })),
    admin('GET', /^\/admin\/logs$/, (ctx) => {
      const limit = Math.min(1000, Math.max(1, Number(ctx.query.get('limit')) || 100));
      // The log keeps the id; the label is the account's name now (its email once known), as in the sidebar.
      const labelOf = (id: string | undefined) => (id === undefined ? undefined : pool.get(id)?.label);
      sendJson(ctx.res, 200, {
        entries: log.recent(limit).map(({ kiroRequest: _omit, ...entry }) => ({ ...entry, accountLabel: labelOf(entry.accountId) ?? entry.accountLabel })),
      });
    }),
    admin('GET', /^\/admin\/stats$/, (ctx) => sendJson(ctx.res, 200, log.stats())),
  ];
}
