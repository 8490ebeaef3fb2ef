// DOM construction without innerHTML: every piece of data goes in through textContent or an
// attribute, so nothing from a log entry or an account can become markup.

export interface Props {
  id?: string;
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props, ...children: Node[]): HTMLElementTagNameMap[K];
export function h(tag: string, props?: Props, ...children: Node[]): HTMLElement;
export function h(tag: string, props: Props = {}, ...children: Node[]): HTMLElement {
  const el = document.createElement(tag);
  if (props.id) el.id = props.id;
  if (props.className) el.className = props.className;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: Node[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

/** A hover tooltip inside an SVG. */
export function svgTitle(text: string): SVGTitleElement {
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = text;
  return title;
}
