import type { LayoutNode } from './layout-node.js';

/** One expected entry of a tree, as printed by `berth layout --json`. */
export interface LayoutEntry {
  /** Path relative to the root; `<i>` stands for array indices, `<…UID>` for DICOM names. */
  path: string;
  type: 'file' | 'directory';
  /** What the entry holds: a kind, a media type, `dicom-series`… */
  holds: string;
  optional: boolean;
}

/** The file-name patterns inside DICOM directories, per the reference. */
export const DICOM_PATTERNS = {
  'dicom-series': '<SOPInstanceUID>.dcm',
  'dicom-study': '<SeriesInstanceUID>/<SOPInstanceUID>.dcm',
} as const;

/** Flattens a layout into the entries a tree must (or may) hold. */
export function layoutEntries(
  nodes: readonly LayoutNode[],
  prefix = '',
  parentOptional = false,
): LayoutEntry[] {
  const out: LayoutEntry[] = [];
  for (const node of nodes) out.push(...entriesOf(node, prefix + node.name, parentOptional));
  return out;
}

function entriesOf(node: LayoutNode, rel: string, parentOptional: boolean): LayoutEntry[] {
  const optional = parentOptional || node.optional;
  switch (node.shape) {
    case 'file':
      return [{ path: rel, type: 'file', holds: node.label, optional }];
    case 'object':
      return [
        { path: rel + '/', type: 'directory', holds: node.label, optional },
        ...layoutEntries(node.children ?? [], rel + '/', optional),
      ];
    case 'array': {
      const head: LayoutEntry = { path: rel + '/', type: 'directory', holds: 'array', optional };
      if (!node.items) return [head];
      // Items may be absent altogether (an empty array), so everything under <i> is optional.
      return [head, ...entriesOf(node.items, rel + '/<i>', true)];
    }
    case 'dicom-series':
    case 'dicom-study':
      return [
        { path: rel + '/', type: 'directory', holds: node.label, optional },
        { path: `${rel}/${DICOM_PATTERNS[node.shape]}`, type: 'file', holds: 'application/dicom', optional },
      ];
  }
}

/** Renders a layout as an indented tree for people, e.g. for `berth layout`. */
export function renderLayout(nodes: readonly LayoutNode[], rootLabel: string): string {
  const lines = [rootLabel.endsWith('/') ? rootLabel : rootLabel + '/'];
  const width = Math.max(24, ...flatNames(nodes, 0).map((n) => n.length + 4));
  render(nodes, '', lines, width);
  return lines.join('\n');
}

function flatNames(nodes: readonly LayoutNode[], depth: number): string[] {
  return nodes.flatMap((n) => {
    const self = '    '.repeat(depth) + n.name + '/';
    const inner = [
      ...(n.children ? flatNames(n.children, depth + 1) : []),
      ...(n.items ? flatNames([n.items], depth + 1) : []),
    ];
    return [self, ...inner];
  });
}

function render(nodes: readonly LayoutNode[], indent: string, lines: string[], width: number): void {
  nodes.forEach((node, i) => {
    const last = i === nodes.length - 1;
    const branch = last ? '└── ' : '├── ';
    const childIndent = indent + (last ? '    ' : '│   ');
    const display = node.name === '[]' ? '<i>' : node.name;
    const name = node.shape === 'file' ? display : display + '/';
    const label = node.label + (node.optional ? '  (optional)' : '');
    lines.push(pad(indent + branch + name, width) + label);
    if (node.shape === 'object' && node.children) render(node.children, childIndent, lines, width);
    if (node.shape === 'array' && node.items) render([node.items], childIndent, lines, width);
    if (node.shape === 'dicom-series' || node.shape === 'dicom-study') {
      lines.push(pad(childIndent + '└── ' + DICOM_PATTERNS[node.shape], width) + 'application/dicom');
    }
  });
}

function pad(s: string, width: number): string {
  return s.length >= width ? s + '  ' : s + ' '.repeat(width - s.length);
}
