/**
 * Building the page's DOM. Text goes in through textContent and attributes through
 * setAttribute only, so no data (key names above all) is ever parsed as markup.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];
/** `text` sets the text, `class` the class; any other is an attribute (true: present, null/undefined/false: absent). */
export type Props = Record<string, string | number | boolean | null | undefined>;

const SVGNS = 'http://www.w3.org/2000/svg';

/** An HTML element with props and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props) {
    for (const k of Object.keys(props)) {
      const v = props[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k === 'class') e.className = String(v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  add(e, children);
  return e;
}

/** Appends children (arrays flattened, null/undefined/false skipped, anything else as text). */
export function add(e: Node, c: Child): void {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) {
    for (const x of c as readonly Child[]) add(e, x);
    return;
  }
  e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
}

/** An SVG element with attributes. */
export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVGNS, tag);
  for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
  return e;
}
