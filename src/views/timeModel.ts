// Countdown text and the cadence at which it must be redrawn. One rule for both, so a row never
// shows seconds it is not refreshed for: under ten minutes `m:ss` every second, above that whole
// minutes (rounded up, so "0m" never shows while time is left) every minute.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Below this the countdown shows seconds and ticks every second. */
export const SECONDS_THRESHOLD_MS = 10 * MINUTE;

export function formatCountdown(ms: number): string {
  if (ms <= 0) return '0:00';
  if (ms < SECONDS_THRESHOLD_MS) {
    const total = Math.ceil(ms / SECOND);
    return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
  }
  const minutes = Math.ceil(ms / MINUTE);
  if (ms < HOUR) return `${minutes}m`;
  if (ms < DAY) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m ? `${h}h ${m}m` : `${h}h`;
  }
  const hours = Math.ceil(ms / HOUR);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? `${d}d ${h}h` : `${d}d`;
}

/** How long until `formatCountdown(ms)` shows something else; `undefined` once it has run out. */
export function countdownCadenceMs(ms: number): number | undefined {
  if (ms <= 0) return undefined;
  if (ms < SECONDS_THRESHOLD_MS) return ms % SECOND || SECOND;
  if (ms < DAY) {
    // Wait until the rounded-up minute drops; never less than a second, so we do not spin.
    return Math.max(SECOND, ms % MINUTE || MINUTE);
  }
  return Math.max(SECOND, ms % HOUR || HOUR);
}

/** "Dec 1" in the UI language; `timeZone` is for tests. */
export function formatShortDate(epochMs: number, locale: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone }).format(epochMs);
}

/** "14:03" (or "2:03 PM") in the UI language. */
export function formatClockTime(epochMs: number, locale: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit', timeZone }).format(epochMs);
}

export function formatDateTime(epochMs: number, locale: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(epochMs);
}
