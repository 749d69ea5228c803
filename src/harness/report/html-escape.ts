/**
 * HTML escaping for the report page. Everything that comes from a machine, a case or a manifest
 * (names, values, messages, paths, captured output) passes through {@link esc} before it reaches
 * the page — in text and in attribute values alike.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for an HTML text node or a quoted attribute value. Control characters other than
 * tab and newline (which a browser would show as nothing or reject) become U+FFFD.
 */
export function esc(text: string | number | boolean | null | undefined): string {
  return String(text ?? '')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!)
    .replace(CONTROL, '\ufffd');
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** A tagged template that escapes every interpolated value unless it is {@link Html}. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Markup that is already safe (built by {@link html} or escaped). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Marks trusted markup (built in this module's callers from escaped parts) as safe. */
export function raw(text: string): Html {
  return new Html(text);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === undefined || v === null || v === false) return '';
  return esc(String(v));
}
