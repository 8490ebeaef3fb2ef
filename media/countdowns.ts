// Live countdowns: elements carry their deadline (host clock) and a template; one timer
// rewrites them every second. The host clock offset keeps them right on remote hosts.
import { formatCountdown } from '../src/views/timeModel';
import { format } from '../src/views/monitor/strings';

let clockOffset = 0;

export function syncClock(hostNow: number): void {
  clockOffset = hostNow - Date.now();
}

export function countdown(el: HTMLElement, until: number, template: string): HTMLElement {
  el.dataset.until = String(until);
  el.dataset.template = template;
  render(el);
  return el;
}

function render(el: HTMLElement): void {
  const left = Number(el.dataset.until) - (Date.now() + clockOffset);
  el.textContent = format(el.dataset.template ?? '{0}', formatCountdown(left));
}

export function startCountdowns(root: HTMLElement): void {
  setInterval(() => root.querySelectorAll<HTMLElement>('[data-until]').forEach(render), 1000);
}
