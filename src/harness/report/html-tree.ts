/**
 * The trees of the HTML report: nested lists of entries (name, kind, value or size and type,
 * notes), and the pictures gallery that shows every thumbnail and DICOM slice of a tree.
 */
import { formatBytes } from './format.js';
import { html, type Html } from './html-escape.js';
import type { Picture, ViewNode } from './tree-view.js';

/** A picture found in a tree, with the anchor the tree links to. */
export interface PlacedPicture {
  id: string;
  rel: string;
  kind: string;
  picture?: Picture;
  error?: string;
}

/** Collects the pictures (and failed pictures) of a tree in tree order, giving each an anchor id. */
export function collectPictures(nodes: readonly ViewNode[], side: string): Map<ViewNode, PlacedPicture> {
  const out = new Map<ViewNode, PlacedPicture>();
  const visit = (list: readonly ViewNode[]): void => {
    for (const n of list) {
      if (n.picture || n.pictureError) {
        out.set(n, {
          id: `pic-${side}-${out.size}`,
          rel: n.rel,
          kind: n.kind,
          ...(n.picture ? { picture: n.picture } : {}),
          ...(n.pictureError ? { error: n.pictureError } : {}),
        });
      }
      if (n.children) visit(n.children);
    }
  };
  visit(nodes);
  return out;
}

/** Items of an array shown before the rest fold into "N more items". */
export const SHOWN_ITEMS = 10;

/**
 * Renders a tree as nested lists; directories fold with `<details>` (open by default, except
 * long non-array directories). An array shows its first {@link SHOWN_ITEMS} items; the others
 * sit in a folded `<details>` saying how many there are.
 */
export function renderTree(nodes: readonly ViewNode[], pictures: Map<ViewNode, PlacedPicture>): Html {
  if (nodes.length === 0) return html`<p class="none">empty: the schema declares nothing here</p>`;
  return html`<ul class="tree">
    ${nodes.map((n) => renderNode(n, pictures))}
  </ul>`;
}

function renderNode(n: ViewNode, pictures: Map<ViewNode, PlacedPicture>): Html {
  const line = renderLine(n, pictures.get(n));
  if (!n.children?.length) return html`<li>${line}</li>`;
  const long = n.list === true && n.children.length > SHOWN_ITEMS;
  const shown = long ? n.children.slice(0, SHOWN_ITEMS) : n.children;
  const rest = long ? n.children.slice(SHOWN_ITEMS) : [];
  // Long directories start folded so the page stays scannable; arrays fold their tail instead.
  const open = n.list === true || n.children.length <= 12;
  return html`<li>
    <details ${open ? html`open` : ''}>
      <summary>${line}</summary>
      <ul>
        ${shown.map((c) => renderNode(c, pictures))}
        ${
          rest.length
            ? html`<li>
                <details class="more">
                  <summary>
                    <span class="info">${rest.length} more item${rest.length === 1 ? '' : 's'}</span>
                  </summary>
                  <ul>
                    ${rest.map((c) => renderNode(c, pictures))}
                  </ul>
                </details>
              </li>`
            : ''
        }
      </ul>
    </details>
  </li>`;
}

const STATE_CHIP: Record<ViewNode['state'], Html | ''> = {
  present: '',
  missing: html`<span class="chip fail">missing</span>`,
  absent: html`<span class="chip">absent (optional)</span>`,
  undeclared: html`<span class="chip warn">undeclared</span>`,
  unreadable: html`<span class="chip fail">unreadable</span>`,
};

function renderLine(n: ViewNode, placed: PlacedPicture | undefined): Html {
  const isDir = n.directory ?? n.children !== undefined;
  const info: string[] = [];
  if (n.size !== undefined) info.push(formatBytes(n.size));
  if (n.detected) info.push(n.detected);
  if (n.note) info.push(n.note);
  return html`<span class="node ${n.state}"
    ><span class="name mono">${n.name}${isDir ? '/' : ''}</span>
    ${n.label ? html`<span class="chip" title="kind ${n.kind}">${n.label}</span>` : ''} ${STATE_CHIP[n.state]}
    ${n.value !== undefined ? html`<code class="val">${n.value}${n.truncated ? '…' : ''}</code>` : ''}
    ${info.length ? html`<span class="info">${info.join(' · ')}</span>` : ''}
    ${placed ? html`<a class="pic-link" href="#${placed.id}">${placed.picture ? 'picture ↓' : 'no picture ↓'}</a>` : ''}</span
  >`;
}

/** Display size: every picture fits a 192 px box, small ones scaled up with crisp pixels. */
function displaySize(p: Picture): { w: number; h: number; crisp: boolean } {
  const k = DISPLAY / Math.max(p.width, p.height, 1);
  return { w: Math.round(p.width * k), h: Math.round(p.height * k), crisp: k > 1 };
}

const DISPLAY = 192;

/** One picture as a figure; `caption` is shown above the picture's own caption. */
export function renderFigure(p: Picture | undefined, caption: string, error?: string, id?: string): Html {
  if (!p) {
    return html`<figure ${id ? html`id="${id}"` : ''}>
      <div class="pic-missing">${error ?? 'no picture'}</div>
      <figcaption><b class="mono">${caption}</b></figcaption>
    </figure>`;
  }
  const d = displaySize(p);
  return html`<figure ${id ? html`id="${id}"` : ''}>
    <img
      class="thumb${d.crisp ? ' px' : ''}"
      src="${p.uri}"
      width="${d.w}"
      height="${d.h}"
      alt="${caption}"
    />
    <figcaption><b class="mono">${caption}</b><br />${p.caption}</figcaption>
  </figure>`;
}

/** The pictures of a tree as a wrapping row of figures. */
export function renderGallery(placed: Iterable<PlacedPicture>): Html {
  const list = [...placed];
  if (list.length === 0) return html`<p class="none">no images or DICOM</p>`;
  return html`<div class="pics">${list.map((p) => renderFigure(p.picture, p.rel, p.error, p.id))}</div>`;
}
