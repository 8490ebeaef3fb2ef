// What one row of the Accounts tree shows, as a pure function of the pool's secret-free view.
// The tree turns this into a TreeItem; tests check it without VS Code.
import type { AccountState, AccountView } from '../proxy/pool/account';
import { countdownCadenceMs, formatCountdown, formatDateTime, formatShortDate } from './timeModel';
import { escapeMarkdown, type Translate } from './translate';

export interface AccountRowModel {
  /** Stable across refreshes, so VS Code keeps selection and expansion. */
  id: string;
  label: string;
  description: string;
  /** `account:<state>:<enabled|disabled>`; menus match it with `viewItem =~ /…/`. */
  contextValue: string;
  icon: { id: string; color: string };
  /** Markdown (untrusted: no command links). */
  tooltip: string;
  /** Epoch ms when the description changes by itself (a countdown); undefined when it is static. */
  nextChangeAt?: number;
}

export interface RowContext {
  now: number;
  t: Translate;
  locale: string;
  timeZone?: string;
}

/** Codicon and theme colour per state; colours are workbench colour ids that exist since long. */
export const STATE_ICONS: Record<AccountState, { id: string; color: string }> = {
  active: { id: 'pass-filled', color: 'testing.iconPassed' },
  cooldown: { id: 'watch', color: 'list.warningForeground' },
  expired: { id: 'history', color: 'list.warningForeground' },
  'needs-login': { id: 'sign-in', color: 'list.errorForeground' },
  exhausted: { id: 'circle-slash', color: 'list.warningForeground' },
  suspended: { id: 'error', color: 'list.errorForeground' },
  disabled: { id: 'circle-outline', color: 'disabledForeground' },
};

export function accountRowId(accountId: string): string {
  return `account:${accountId}`;
}

export function accountContextValue(account: Pick<AccountView, 'state' | 'enabled'>): string {
  return `account:${account.state}:${account.enabled ? 'enabled' : 'disabled'}`;
}

export function stateLabel(state: AccountState, t: Translate): string {
  switch (state) {
    case 'active':
      return t('active');
    case 'cooldown':
      return t('cooldown');
    case 'expired':
      return t('token expired');
    case 'needs-login':
      return t('needs login');
    case 'exhausted':
      return t('exhausted');
    case 'suspended':
      return t('suspended');
    case 'disabled':
      return t('disabled');
  }
}

/** The instant a row's countdown counts to, if its state shows one. */
export function countdownTarget(account: AccountView, now: number): number | undefined {
  if (account.state === 'cooldown') return account.cooldownUntil;
  if (account.state === 'active' && account.tokenExpiresAt !== undefined && account.tokenExpiresAt > now) return account.tokenExpiresAt;
  return undefined;
}

export function accountDescription(account: AccountView, ctx: RowContext): string {
  const { now, t } = ctx;
  switch (account.state) {
    case 'cooldown': {
      const left = (account.cooldownUntil ?? now) - now;
      return t('cooldown {0}', formatCountdown(left));
    }
    case 'active': {
      const target = countdownTarget(account, now);
      return target === undefined ? t('active') : t('expires in {0}', formatCountdown(target - now));
    }
    case 'exhausted': {
      const resetAt = account.exhaustedUntil ?? account.quota?.resetAt;
      return resetAt ? t('exhausted · resets {0}', formatShortDate(resetAt, ctx.locale, ctx.timeZone)) : t('exhausted');
    }
    default:
      return stateLabel(account.state, t);
  }
}

export function accountTooltip(account: AccountView, ctx: RowContext): string {
  const { t, locale, timeZone } = ctx;
  const lines: string[] = [`**${escapeMarkdown(account.label)}** — ${stateLabel(account.state, t)}`, ''];
  const provider = account.provider ?? (account.authMethod === 'idc' ? 'IdC' : 'Social');
  lines.push(t('Sign-in: {0} ({1})', escapeMarkdown(provider), escapeMarkdown(account.region)));
  if (account.profileArn) lines.push(t('Kiro profile: {0} ({1})', `\`${account.profileArn}\``, escapeMarkdown(account.apiRegion)));
  else if (account.profileChoices) lines.push(t('Kiro profile: {0} to choose from', account.profileChoices.length));
  if (account.quota) {
    const q = account.quota;
    lines.push(t('Plan: {0}', escapeMarkdown(q.plan)));
    const resets = q.resetAt ? ` · ${t('resets {0}', formatShortDate(q.resetAt, locale, timeZone))}` : '';
    lines.push(`${t('Quota: {0} / {1} credits used', round(q.used), round(q.limit))}${resets}`);
  } else {
    lines.push(t('Quota: not fetched yet'));
  }
  const c = account.counters;
  lines.push(t('Through this proxy: {0} requests, {1} errors, {2} credits', c.requests, c.errors, round(c.credits)));
  if (account.tokenExpiresAt !== undefined) {
    lines.push(t('Access token expires: {0}', formatDateTime(account.tokenExpiresAt, locale, timeZone)));
  }
  if (account.proxy) lines.push(t('Outbound proxy: {0}', escapeMarkdown(account.proxy)));
  if (account.reason) lines.push(t('Last error: {0}', escapeMarkdown(account.reason)));
  lines.push(t('Machine id: {0}', `\`${account.machineId}\``));
  // Markdown needs two trailing spaces or a blank line for a break; a blank line reads better.
  return lines.join('\n\n');
}

export function accountRow(account: AccountView, ctx: RowContext): AccountRowModel {
  const target = countdownTarget(account, ctx.now);
  const cadence = target === undefined ? undefined : countdownCadenceMs(target - ctx.now);
  return {
    id: accountRowId(account.id),
    label: account.label,
    description: accountDescription(account, ctx),
    contextValue: accountContextValue(account),
    icon: STATE_ICONS[account.state],
    tooltip: accountTooltip(account, ctx),
    // When the countdown runs out the state itself changes (cooldown → active), so redraw then too.
    ...(cadence !== undefined ? { nextChangeAt: ctx.now + cadence } : target !== undefined ? { nextChangeAt: target } : {}),
  };
}

/** Accounts that can take a request now or after a routine refresh. */
export function isUsable(account: Pick<AccountView, 'state'>): boolean {
  return account.state === 'active' || account.state === 'expired';
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
