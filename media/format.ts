// Numbers, durations and times in the display language.
import { format } from '../src/views/monitor/strings';

export class Formatter {
  private readonly integer: Intl.NumberFormat;
  private readonly decimal: Intl.NumberFormat;
  private readonly compactNumber: Intl.NumberFormat;
  private readonly percentNumber: Intl.NumberFormat;
  private readonly clock: Intl.DateTimeFormat;
  private readonly full: Intl.DateTimeFormat;

  constructor(locale: string) {
    const safe = Intl.NumberFormat.supportedLocalesOf([locale]).length ? locale : 'en';
    this.integer = new Intl.NumberFormat(safe, { maximumFractionDigits: 0 });
    this.decimal = new Intl.NumberFormat(safe, { maximumFractionDigits: 2 });
    this.compactNumber = new Intl.NumberFormat(safe, { notation: 'compact', maximumFractionDigits: 1 });
    this.percentNumber = new Intl.NumberFormat(safe, { style: 'percent', maximumFractionDigits: 1 });
    this.clock = new Intl.DateTimeFormat(safe, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
    this.full = new Intl.DateTimeFormat(safe, { dateStyle: 'medium', timeStyle: 'medium' });
  }

  int(n: number): string {
    return this.integer.format(n);
  }

  number(n: number): string {
    return this.decimal.format(n);
  }

  compact(n: number): string {
    return this.compactNumber.format(n);
  }

  percent(ratio: number): string {
    return this.percentNumber.format(ratio);
  }

  ms(ms: number): string {
    return ms < 1000 ? `${this.integer.format(ms)} ms` : `${this.decimal.format(ms / 1000)} s`;
  }

  time(epochMs: number): string {
    return this.clock.format(epochMs);
  }

  dateTime(epochMs: number): string {
    return this.full.format(epochMs);
  }

  t(template: string, ...args: Array<string | number>): string {
    return format(template, ...args);
  }
}
