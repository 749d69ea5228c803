/**
 * The frame of every self-contained berth page (the run report, the batch report): the document,
 * its Content-Security-Policy (no script, no request: images only as data: URIs), the shared style
 * and the generator, around a page's own `<main>`.
 */
import { html, raw, type Html } from './html-escape.js';
import { STYLE } from './html-style.js';

/** Nothing may load or run: styles inline, images as data: URIs. */
export const CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/** A whole page: `title` (escaped), berth's `version`, extra CSS after the shared style, and `main`. */
export function reportPage(
  title: string,
  version: string,
  main: Html,
  extraStyle: Html | string = '',
): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content="${CSP}" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="generator" content="berth ${version}" />
        <title>${title}</title>
        <style>
          ${raw(STYLE)}${extraStyle}
        </style>
      </head>
      <body>
        <main>${main}</main>
      </body>
    </html>`.text;
}
