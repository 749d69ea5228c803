/**
 * A tree (input, output or expected) as the HTML report shows it: every declared property with
 * its kind and what is there — primitive values inline, file sizes and detected types, `.npy`
 * dtypes and shapes, thumbnails of PNG/JPEG files, the middle slice of each DICOM series — and
 * every entry the schema does not declare.
 *
 * Reading is bounded: text values by a prefix, thumbnails and slices by a budget shared across
 * the page, array items by a count. It never follows a symlink out of the tree and never opens
 * a special file. Nothing here throws for bad content: problems become notes on the node.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorText } from './errors-text.js';
import { MAGIC_PREFIX_BYTES, detectMimeType, readPrefix } from '../../kinds/file-handle.js';
import type { Property } from '../../kinds/property.js';
import { kindOf } from '../../kinds/registry.js';
import { readNpyHeader } from '../../ndarray/npy.js';
import { ARRAY_INDEX, classifyEntry } from '../../tree/entry.js';
import { baseFor, isMaskDtype, renderOverlay } from './overlay.js';
import { thumbnailOfFile } from './raster.js';
import { addPicture, describeImage, describeSeries, describeStudy } from './tree-view-dicom.js';
import type { ViewBudget, ViewNode } from './tree-view-types.js';
import { textFormOf } from '../../kinds/kind.js';

export type { Picture, ViewBudget, ViewNode } from './tree-view-types.js';

/** The default budget: 48 pictures of ≤ 256 px, 100 array items, 400 characters per value. */
export function defaultBudget(): ViewBudget {
  return { pictures: 48, pictureSize: 256, arrayItems: 100, valueChars: 400 };
}

/** Builds the view of a tree laid out by `props`. A missing root gives one unreadable node. */
export async function viewTree(
  root: string,
  props: readonly Property[],
  budget: ViewBudget = defaultBudget(),
): Promise<ViewNode[]> {
  const info = await classifyEntry(root, root);
  if (info.kind !== 'directory') {
    return [
      {
        name: path.basename(root),
        rel: '',
        kind: 'tree',
        label: 'directory',
        state: 'unreadable',
        note: `not a readable directory (${info.kind})`,
      },
    ];
  }
  return viewMembers(root, root, '', props, budget);
}

async function listDir(dir: string): Promise<Dirent[] | string> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    return errorText(e);
  }
}

async function viewMembers(
  root: string,
  dir: string,
  rel: string,
  props: readonly Property[],
  budget: ViewBudget,
): Promise<ViewNode[]> {
  const entries = await listDir(dir);
  if (typeof entries === 'string') return [unreadable('(directory)', rel, entries)];
  const byName = new Map(entries.map((d) => [d.name, d]));
  const out: ViewNode[] = [];
  for (const p of props) {
    const dirent = byName.get(p.name);
    byName.delete(p.name);
    const childRel = join(rel, p.name);
    if (!dirent) {
      out.push({
        name: p.name,
        rel: childRel,
        kind: p.kind,
        label: labelOf(p),
        state: p.nullable ? 'absent' : 'missing',
        directory: kindOf(p.kind).shape !== 'file',
      });
      continue;
    }
    out.push(await viewProperty(root, path.join(dir, p.name), childRel, p, budget, dirent));
  }
  for (const [name, dirent] of byName)
    out.push(await viewUndeclared(root, path.join(dir, name), join(rel, name), dirent));
  return out;
}

function join(rel: string, name: string): string {
  return rel ? `${rel}/${name}` : name;
}

function labelOf(p: Property): string {
  try {
    return kindOf(p.kind).label(p);
  } catch {
    return p.kind;
  }
}

function unreadable(name: string, rel: string, note: string): ViewNode {
  return { name, rel, kind: 'undeclared', label: '', state: 'unreadable', note };
}

async function viewUndeclared(root: string, abs: string, rel: string, dirent: Dirent): Promise<ViewNode> {
  const info = await classifyEntry(abs, root, dirent);
  const node: ViewNode = {
    name: path.basename(abs),
    rel,
    kind: 'undeclared',
    label: info.kind,
    state: 'undeclared',
    directory: info.kind === 'directory',
  };
  if (info.kind === 'file') {
    node.size = await sizeOf(info.real!);
    node.detected = await detect(info.real!);
  } else if (info.kind !== 'directory') node.note = info.reason ?? info.kind;
  return node;
}

async function viewProperty(
  root: string,
  abs: string,
  rel: string,
  p: Property,
  budget: ViewBudget,
  dirent: Dirent,
): Promise<ViewNode> {
  const kind = kindOf(p.kind);
  const wantsDir = kind.shape !== 'file';
  const node: ViewNode = {
    name: path.basename(abs),
    rel,
    kind: p.kind,
    label: labelOf(p),
    state: 'present',
    directory: wantsDir,
  };
  const info = await classifyEntry(abs, root, dirent);
  if (info.kind !== (wantsDir ? 'directory' : 'file')) {
    node.state = 'unreadable';
    node.note =
      info.kind === 'file' || info.kind === 'directory'
        ? `a ${info.kind}, where a ${wantsDir ? 'directory' : 'file'} belongs`
        : info.kind === 'symlink-outside'
          ? 'a symbolic link out of the tree (not followed)'
          : (info.reason ?? info.kind);
    return node;
  }
  const real = info.real!;
  try {
    switch (kind.shape) {
      case 'file':
        await describeFile(node, real, p, budget);
        break;
      case 'object':
        node.children = p.properties
          ? await viewMembers(root, real, rel, p.properties, budget)
          : await viewMembers(root, real, rel, [], budget);
        break;
      case 'array':
        node.list = true;
        node.children = await viewArray(root, real, rel, p, budget);
        break;
      case 'dicom-series':
        await describeSeries(node, real, budget);
        break;
      case 'dicom-study':
        await describeStudy(node, real, rel, budget);
        break;
    }
  } catch (e) {
    node.note = errorText(e);
  }
  return node;
}

async function viewArray(
  root: string,
  dir: string,
  rel: string,
  p: Property,
  budget: ViewBudget,
): Promise<ViewNode[]> {
  const entries = await listDir(dir);
  if (typeof entries === 'string') return [unreadable('(directory)', rel, entries)];
  const items = entries
    .filter((d) => ARRAY_INDEX.test(d.name))
    .sort((a, b) => Number(a.name) - Number(b.name));
  const others = entries.filter((d) => !ARRAY_INDEX.test(d.name));
  const out: ViewNode[] = [];
  for (const d of items.slice(0, budget.arrayItems)) {
    const childRel = join(rel, d.name);
    out.push(
      p.items
        ? await viewProperty(root, path.join(dir, d.name), childRel, p.items, budget, d)
        : await viewUndeclared(root, path.join(dir, d.name), childRel, d),
    );
  }
  if (items.length > budget.arrayItems) {
    out.push({
      name: '…',
      rel: join(rel, '…'),
      kind: 'array',
      label: '',
      state: 'present',
      note: `${items.length - budget.arrayItems} more items not shown`,
    });
  }
  for (const d of others) out.push(await viewUndeclared(root, path.join(dir, d.name), join(rel, d.name), d));
  return out;
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

async function detect(file: string): Promise<string | undefined> {
  try {
    return await detectMimeType(await readPrefix(file, MAGIC_PREFIX_BYTES));
  } catch {
    return undefined;
  }
}

async function describeFile(node: ViewNode, file: string, p: Property, budget: ViewBudget): Promise<void> {
  node.size = await sizeOf(file);
  const kind = kindOf(p.kind);
  if (textFormOf(kind)) {
    // The prefix is read as bytes, so a long value costs no more than its first characters.
    const prefix = await readPrefix(file, budget.valueChars * 4 + 4);
    let text = prefix.toString('utf8').replace(/\r?\n$/, '');
    const longer = (node.size ?? 0) > prefix.length || text.length > budget.valueChars;
    if (text.length > budget.valueChars) text = text.slice(0, budget.valueChars);
    node.value = text;
    if (longer) node.truncated = true;
    return;
  }
  node.detected = await detect(file);
  if (p.kind === 'ndarray') {
    const h = await readNpyHeader(file);
    node.note = `${h.dtype} [${h.shape.join(', ')}]${h.fortranOrder ? ' (Fortran order)' : ''}`;
    const base = budget.overlays && isMaskDtype(h) ? baseFor(h.shape, budget.overlays) : undefined;
    if (base) await addPicture(node, budget, () => renderOverlay(file, h, base, budget.pictureSize));
    return;
  }
  if (p.kind === 'dicom-image') {
    await describeImage(node, file, budget);
    return;
  }
  if (node.detected === 'image/png' || node.detected === 'image/jpeg') {
    if (budget.pictures <= 0) {
      node.pictureError = 'picture budget of the page spent';
      return;
    }
    budget.pictures--;
    try {
      const t = await thumbnailOfFile(file, budget.pictureSize);
      node.picture = {
        uri: t.uri,
        width: t.width,
        height: t.height,
        caption: `${t.sourceWidth} × ${t.sourceHeight}`,
      };
    } catch (e) {
      node.pictureError = errorText(e);
    }
  }
}
