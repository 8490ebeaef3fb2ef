// Management endpoints (`/admin/*`), `/health` and `/v1/models`. They never return a token:
// everything here is built from the pool's secret-free account views.
import type { ServerDeps, Route } from './types';
import { sendJson } from '../protocols/reply';
import { ProxyError } from '../errors';
import { isRecord } from '../records';
import { shownKiroEndpoint } from '../config';
import { modelsListBody } from '../protocols/gemini';
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
      cooldownUntil: a.cooldownUntil,
      reason: a.reason,
    })),
  };
}

/** The client-facing model ids: built-in names the accounts can use (per `ListAvailableModels`), aliases, mapped names. */
export function clientModelIds(deps: ServerDeps): string[] {
  return listClientModels(deps.config.modelMapping, deps.pool.availableModels(), deps.config.defaultModel);
}

/** One list every SDK can read: OpenAI's `{object, data[{id, object, owned_by}]}` and Anthropic's `{data[{type, id, display_name}], has_more}` and Gemini's `{models[{name, …}]}`. */
export function modelsBody(deps: ServerDeps): unknown {
  const ids = clientModelIds(deps);
  const created = 1_735_689_600;
  const data = ids.map((id) => ({
    id,
    object: 'model',
    type: 'model',
    display_name: id,
    created,
    created_at: new Date(created * 1000).toISOString(),
    owned_by: 'kiro-proxy',
  }));
  // `models` is the Gemini list shape: Google's SDK (v1 API) reads this same path.
  const models = (modelsListBody(geminiModels(deps)) as { models: unknown[] }).models;
  return { object: 'list', data, has_more: false, first_id: ids[0] ?? null, last_id: ids[ids.length - 1] ?? null, models };
}

/** The same ids for the Gemini list (`GET /v1beta/models`), with each one's context window. */
export function geminiModels(deps: ServerDeps): Array<{ id: string; displayName: string; inputTokenLimit: number; outputTokenLimit: number }> {
  const { modelMapping, defaultModel } = deps.config;
  return clientModelIds(deps).map((id) => ({
    id,
    displayName: id,
    inputTokenLimit: contextWindowOf(resolveKiroModel(id, modelMapping, defaultModel)),
    outputTokenLimit: 64_000,
  }));
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
