/**
 * The pixels of synthetic images: CT slices (a body ellipse with fat rim, soft tissue, lungs and a
 * spine, in stored values HU + 1024, padding -2000 outside the round field of view), MR slices
 * (unsigned 12-bit), a CR projection and OT frames (8-bit, a moving disc), each with mild noise.
 */
import type { SynthModality } from './synth-plan.js';

/** CT slice in stored values (HU + 1024), `t` in [0, 1] along the series. */
function ctSlice(rows: number, cols: number, t: number, rand: () => number): Int16Array {
  const px = new Int16Array(rows * cols);
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  const fov = Math.min(rows, cols) / 2;
  const a = cols * 0.4 * (0.9 + 0.1 * Math.sin(Math.PI * t));
  const b = rows * 0.28 * (0.9 + 0.1 * Math.sin(Math.PI * t));
  const lungs = t > 0.3 && t < 0.85;
  const lungR = Math.min(a, b) * 0.45 * Math.sin((Math.PI * (t - 0.3)) / 0.55);
  const spineY = cy + b * 0.6;
  const spineR = Math.min(a, b) * 0.18;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const dx = x - cx;
      const dy = y - cy;
      let hu: number;
      if (dx * dx + dy * dy > fov * fov) {
        px[y * cols + x] = -2000;
        continue;
      }
      const e = (dx * dx) / (a * a) + (dy * dy) / (b * b);
      if (e > 1) hu = -1000;
      else if (e > 0.85) hu = -100;
      else {
        hu = 40;
        const sd = Math.hypot(dx, y - spineY);
        if (sd < spineR) hu = sd > spineR * 0.75 ? 1000 : 300;
        else if (lungs) {
          const l1 = Math.hypot(x - (cx - a * 0.45), y - cy + b * 0.1);
          const l2 = Math.hypot(x - (cx + a * 0.45), y - cy + b * 0.1);
          if (l1 < lungR || l2 < lungR) hu = -800;
        }
      }
      px[y * cols + x] = Math.round(hu + (rand() + rand() - 1) * 12) + 1024;
    }
  }
  return px;
}

/** MR slice: unsigned 12-bit values in 16 bits. */
function mrSlice(rows: number, cols: number, t: number, rand: () => number): Uint16Array {
  const px = new Uint16Array(rows * cols);
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  const r = Math.min(rows, cols) * (0.3 + 0.08 * Math.sin(Math.PI * t));
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const d = Math.hypot(x - cx, y - cy) / r;
      const base = d > 1 ? 5 : d > 0.9 ? 900 : d > 0.5 ? 600 : 350;
      px[y * cols + x] = Math.max(0, Math.min(4095, Math.round(base + rand() * 30)));
    }
  }
  return px;
}

/** CR projection: unsigned 12-bit, brighter where the body attenuates. */
function crImage(rows: number, cols: number, rand: () => number): Uint16Array {
  const px = new Uint16Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const u = (x - cols / 2) / (cols * 0.35);
      const v = (y - rows / 2) / (rows * 0.45);
      const body = Math.max(0, 1 - u * u - v * v);
      px[y * cols + x] = Math.min(4095, Math.round(300 + 3000 * Math.sqrt(body) + rand() * 40));
    }
  }
  return px;
}

/** OT frames: 8-bit gradient with a moving disc. */
function otFrames(rows: number, cols: number, frames: number, rand: () => number): Uint8Array {
  const px = new Uint8Array(rows * cols * frames);
  for (let f = 0; f < frames; f++) {
    const cx = cols * (0.3 + (0.4 * f) / Math.max(1, frames - 1));
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const inDisc = Math.hypot(x - cx, y - rows / 2) < Math.min(rows, cols) / 6;
        px[(f * rows + y) * cols + x] = inDisc
          ? 230
          : Math.round(((x + y) * 120) / (rows + cols) + rand() * 10);
      }
    }
  }
  return px;
}

/** The pixels of instance `t` (in [0, 1] along the series) of a modality. */
export function modalityPixels(
  modality: SynthModality,
  rows: number,
  cols: number,
  frames: number,
  t: number,
  rand: () => number,
): Int16Array | Uint16Array | Uint8Array {
  switch (modality) {
    case 'CT':
      return ctSlice(rows, cols, t, rand);
    case 'MR':
      return mrSlice(rows, cols, t, rand);
    case 'CR':
      return crImage(rows, cols, rand);
    case 'OT':
      return otFrames(rows, cols, frames, rand);
    default: {
      const never: never = modality;
      return never;
    }
  }
}
