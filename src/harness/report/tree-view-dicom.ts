/**
 * DICOM in a tree view (./tree-view.ts): notes on images, series and studies, and their middle
 * slices as pictures whose captions say which slice, the image size and the window used.
 */
import path from 'node:path';
import { indexFolder } from '../../dicom/index.js';
import { scanHeader, type DicomHeader } from '../../dicom/scan.js';
import { errorText } from './errors-text.js';
import { dataUri } from './raster.js';
import { pickMiddle, renderSliceDetailed } from './render-slice.js';
import type { ViewBudget, ViewNode } from './tree-view-types.js';

/** A rendered picture before it joins the page. */
interface Rendered {
  png: Buffer;
  caption: string;
}

function describeHeader(h: DicomHeader, instances: number): string {
  const parts: string[] = [];
  if (instances !== 1) parts.push(`${instances} instances`);
  if (h.Modality) parts.push(h.Modality);
  if (h.Rows !== undefined && h.Columns !== undefined) parts.push(`${h.Columns} × ${h.Rows}`);
  if (h.frames > 1) parts.push(`${h.frames} frames`);
  if (h.SeriesDescription) parts.push(h.SeriesDescription);
  return parts.join(' · ');
}

/** Width and height from a PNG's IHDR. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Adds a picture to a node within the page's budget; a failure becomes the node's picture error. */
export async function addPicture(
  node: ViewNode,
  budget: ViewBudget,
  render: () => Promise<Rendered>,
): Promise<void> {
  if (budget.pictures <= 0) {
    node.pictureError = 'picture budget of the page spent';
    return;
  }
  budget.pictures--;
  try {
    const { png, caption } = await render();
    const { width, height } = pngSize(png);
    node.picture = { uri: dataUri('image/png', png), width, height, caption };
  } catch (e) {
    node.pictureError = errorText(e);
  }
}

/** Renders one frame with a caption: `<where> · <columns> × <rows> · <window>`. */
async function slice(
  header: DicomHeader,
  frame: number,
  where: string,
  budget: ViewBudget,
): Promise<Rendered> {
  const r = await renderSliceDetailed(header, frame, { maxSize: budget.pictureSize });
  return { png: r.png, caption: `${where} · ${r.columns} × ${r.rows} · ${r.window}` };
}

/** A dicom-image file: its note and middle frame. */
export async function describeImage(node: ViewNode, file: string, budget: ViewBudget): Promise<void> {
  const header = await scanHeader(file);
  node.note = describeHeader(header, 1);
  const frame = Math.floor(header.frames / 2);
  await addPicture(node, budget, () => slice(header, frame, `middle frame of ${header.frames}`, budget));
}

/** A dicom-series folder: its note and middle slice. */
export async function describeSeries(node: ViewNode, dir: string, budget: ViewBudget): Promise<void> {
  const index = await indexFolder(dir);
  const series = [...index.series.values()];
  const problems = index.errors.length + index.strays.length;
  const notes: string[] = [];
  if (series.length > 1) notes.push(`${series.length} series`);
  const main = series.sort((a, b) => b.instances.length - a.instances.length)[0];
  if (main) notes.push(describeHeader(main.instances[0]!, main.instances.length));
  else notes.push('no readable instance');
  if (problems) notes.push(`${problems} unreadable file${problems === 1 ? '' : 's'}`);
  node.note = notes.join(' · ');
  if (!main) return;
  const m = pickMiddle(main.instances);
  await addPicture(node, budget, () =>
    slice(m.header, m.frame, `slice ${m.position + 1} of ${m.count}`, budget),
  );
}

/** A dicom-study folder: a child node per series, each with its middle slice. */
export async function describeStudy(
  node: ViewNode,
  dir: string,
  rel: string,
  budget: ViewBudget,
): Promise<void> {
  const index = await indexFolder(dir);
  const problems = index.errors.length + index.strays.length;
  node.note = `${index.series.size} series · ${index.instances.size} instances${problems ? ` · ${problems} unreadable` : ''}`;
  node.children = [];
  for (const s of index.series.values()) {
    const first = s.instances[0]!;
    const name = path.relative(dir, path.dirname(first.path)) || s.seriesInstanceUid;
    const child: ViewNode = {
      name,
      rel: rel ? `${rel}/${name}` : name,
      kind: 'dicom-series',
      label: 'series',
      directory: true,
      state: 'present',
      note: describeHeader(first, s.instances.length),
    };
    const m = pickMiddle(s.instances);
    await addPicture(child, budget, () =>
      slice(m.header, m.frame, `slice ${m.position + 1} of ${m.count}`, budget),
    );
    node.children.push(child);
  }
}
