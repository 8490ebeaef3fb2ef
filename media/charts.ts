// Two small charts of the last hour, drawn as inline SVG with DOM calls (no chart library):
// requests per minute as bars (failures stacked in the error colour) and average latency as a line.
import type { MinuteView } from '../src/views/monitor/protocol';
import { h, svg, svgTitle } from './dom';
import type { Formatter } from './format';

const WIDTH = 600;
const HEIGHT = 100;

function frame(caption: string, peak: string, body: SVGElement[], empty: string | undefined): HTMLElement {
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': caption, class: 'chart' }, ...body);
  return h(
    'figure',
    { className: 'chart-figure' },
    h('figcaption', {}, h('span', { text: caption }), h('span', { className: 'muted', text: peak })),
    chart,
    ...(empty ? [h('div', { className: 'chart-empty muted', text: empty })] : []),
  );
}

/** The chart's words: caption, the empty-state line and the peak template (`peak {0}`). */
export interface ChartText {
  caption: string;
  empty: string;
  peak: string;
}

const minuteLabel = (m: MinuteView, fmt: Formatter) => fmt.time(m.minute * 60_000).slice(0, 5);

export function requestsChart(minutes: MinuteView[], text: ChartText, fmt: Formatter): HTMLElement {
  const peak = Math.max(1, ...minutes.map((m) => m.requests));
  const slot = WIDTH / minutes.length;
  const bars = minutes.flatMap((m, i) => {
    if (m.requests === 0) return [];
    const x = i * slot + 1;
    const total = (m.requests / peak) * HEIGHT;
    const failed = (m.errors / peak) * HEIGHT;
    const tip = svgTitle(`${minuteLabel(m, fmt)}  ${fmt.int(m.requests)} / ${fmt.int(m.errors)} ✕`);
    return [
      svg('rect', { x, y: HEIGHT - total, width: slot - 2, height: total - failed, class: 'bar-ok' }, tip),
      ...(m.errors ? [svg('rect', { x, y: HEIGHT - failed, width: slot - 2, height: failed, class: 'bar-error' }, svgTitle(tip.textContent ?? ''))] : []),
    ];
  });
  const total = minutes.reduce((sum, m) => sum + m.requests, 0);
  return frame(text.caption, fmt.t(text.peak, fmt.int(peak)), bars, total === 0 ? text.empty : undefined);
}

export function latencyChart(minutes: MinuteView[], text: ChartText, fmt: Formatter): HTMLElement {
  const peak = Math.max(1, ...minutes.map((m) => m.avgMs));
  const slot = WIDTH / minutes.length;
  const points = minutes.map((m, i) => ({ m, x: i * slot + slot / 2, y: HEIGHT - (m.avgMs / peak) * (HEIGHT - 4) - 2 }));
  const active = points.filter((p) => p.m.requests > 0);
  const body: SVGElement[] = [];
  if (active.length > 1) {
    body.push(svg('polyline', { points: active.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' '), class: 'latency-line' }));
  }
  for (const p of active) {
    body.push(svg('circle', { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: 2.5, class: 'latency-dot' }, svgTitle(`${minuteLabel(p.m, fmt)}  ${fmt.ms(p.m.avgMs)}`)));
  }
  return frame(text.caption, fmt.t(text.peak, fmt.ms(peak)), body, active.length === 0 ? text.empty : undefined);
}
