/**
 * The report page's style sheet, inlined into the page (no external request). Light colors with
 * one accent per outcome tone; grids collapse to one column on narrow screens; pictures are
 * scaled with crisp pixels (no smoothing), so masks and labels keep their edges.
 */
export const STYLE = `
:root {
  --bg: #f4f5f7; --card: #fff; --ink: #1b2230; --muted: #5b6576; --line: #e2e5ea; --code: #f0f2f5;
  --pass: #1a7f37; --differ: #b35c00; --fail: #cf222e; --case: #0a5cc2;
  --pass-bg: #e6f4ea; --differ-bg: #fff4e0; --fail-bg: #fdecec; --case-bg: #e8f0fc;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1360px; margin: 0 auto; padding: 20px 24px 48px; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
h2 { font-size: 17px; margin: 0 0 12px; display: flex; align-items: baseline; gap: 10px; }
h2 .count { font-size: 13px; font-weight: 500; color: var(--muted); }
h3 { font-size: 14px; margin: 0 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
section, header.run { background: var(--card); border: 1px solid var(--line); border-radius: 12px;
  padding: 18px 20px; margin: 0 0 16px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
header.run { display: grid; grid-template-columns: auto 1fr; gap: 6px 22px; align-items: center; border-top-width: 6px; }
header.run.pass { border-top-color: var(--pass); } header.run.differ { border-top-color: var(--differ); }
header.run.fail { border-top-color: var(--fail); } header.run.case { border-top-color: var(--case); }
.badge { grid-row: span 2; color: #fff; font-weight: 800; font-size: 26px; letter-spacing: .03em;
  padding: 14px 22px; border-radius: 10px; text-align: center; line-height: 1.1; }
.badge small { display: block; font-size: 12px; font-weight: 600; opacity: .85; letter-spacing: 0; margin-top: 4px; }
.badge.pass { background: var(--pass); } .badge.differ { background: var(--differ); }
.badge.fail { background: var(--fail); } .badge.case { background: var(--case); }
.title { font-size: 20px; font-weight: 700; overflow-wrap: anywhere; }
.title .sep { color: var(--muted); font-weight: 400; margin: 0 6px; }
.reason { color: var(--ink); font-size: 15px; overflow-wrap: anywhere; }
.meta { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 6px 18px; color: var(--muted); font-size: 13px; margin-top: 8px; }
.meta b { color: var(--ink); font-weight: 600; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 0 0 16px; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; }
.stat .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.stat .v { font-size: 20px; font-weight: 700; font-variant-numeric: tabular-nums; }
.stat .v.bad { color: var(--fail); } .stat .v.good { color: var(--pass); } .stat .v.warn { color: var(--differ); }
.progress { height: 6px; background: var(--line); border-radius: 3px; margin-top: 6px; overflow: hidden; }
.progress span { display: block; height: 100%; background: var(--pass); }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 900px) { .cols { grid-template-columns: 1fr; } header.run { grid-template-columns: 1fr; } .badge { grid-row: auto; } }
.chip { display: inline-block; border-radius: 999px; padding: 0 8px; font-size: 11.5px; font-weight: 600;
  background: var(--code); color: var(--muted); white-space: nowrap; vertical-align: 1px; }
.chip.pass { background: var(--pass-bg); color: var(--pass); } .chip.fail { background: var(--fail-bg); color: var(--fail); }
.chip.warn { background: var(--differ-bg); color: var(--differ); } .chip.info { background: var(--case-bg); color: var(--case); }
.none { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
tr:last-child td { border-bottom: 0; }
td.sev { width: 1%; white-space: nowrap; }
td.code { white-space: nowrap; }
.where { color: var(--muted); font-size: 12px; }
ul.notes { margin: 8px 0 0; padding-left: 20px; }
ul.notes li.warn::marker { color: var(--differ); } ul.notes li.error::marker { color: var(--fail); }
.cmp { border: 1px solid var(--line); border-left: 5px solid var(--pass); border-radius: 8px; padding: 10px 14px; margin: 0 0 10px; }
.cmp.failed { border-left-color: var(--fail); background: #fffafa; }
.cmp-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px; }
.cmp-head .path { font-weight: 700; overflow-wrap: anywhere; }
.cmp-msg { margin: 6px 0 0; }
.vs { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin-top: 8px; }
.vs .k { color: var(--muted); font-size: 12px; }
.vs code { white-space: pre-wrap; overflow-wrap: anywhere; }
.failed .vs .exp { color: var(--pass); } .failed .vs .act { color: var(--fail); }
.pics { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 10px; }
figure { margin: 0; display: inline-flex; flex-direction: column; align-items: flex-start; width: 194px; max-width: 100%; }
figure img { display: block; background: #000; border: 1px solid var(--line); border-radius: 6px; max-width: 100%; height: auto; }
figure img { image-rendering: pixelated; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; max-width: 100%; overflow-wrap: anywhere; }
figcaption b { color: var(--ink); }
.pic-missing { width: 160px; height: 120px; display: flex; align-items: center; justify-content: center; text-align: center;
  padding: 8px; border: 1px dashed var(--line); border-radius: 6px; color: var(--muted); font-size: 12px; }
.gallery { display: flex; flex-direction: column; gap: 14px; }
.gallery .row { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; align-items: start; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 18px; }
ul.tree { padding-left: 0; }
ul.tree ul { border-left: 1px dashed var(--line); margin-left: 6px; padding-left: 14px; }
ul.tree li { margin: 3px 0; }
.node { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 8px; }
.node .name { font-weight: 600; }
.node .val { background: var(--code); border-radius: 4px; padding: 0 6px; max-width: 100%; white-space: pre-wrap; overflow-wrap: anywhere; }
.node .info { color: var(--muted); font-size: 12px; }
.node.missing .name { color: var(--fail); text-decoration: line-through; }
.node.absent .name { color: var(--muted); }
.node.undeclared .name { color: var(--differ); }
.node.unreadable .name { color: var(--fail); }
.node a.pic-link { font-size: 12px; }
details > summary { cursor: pointer; list-style: none; display: flex; align-items: baseline; }
details > summary::-webkit-details-marker { display: none; }
details > summary::before { content: "▸"; flex: none; width: 14px; margin-left: -14px; color: var(--muted); }
details[open] > summary::before { content: "▾"; }
details.section > summary::before { margin-left: 0; }
details.section > summary h2 { display: inline-flex; margin: 0; }
details.section[open] > summary { margin-bottom: 12px; }
pre.tail { background: #0f1520; color: #d9dee7; border-radius: 8px; padding: 12px 14px; margin: 8px 0 0;
  max-height: 360px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.streams { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 900px) { .streams, .gallery .row { grid-template-columns: 1fr; } }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 8px; }
footer dt { font-weight: 600; } footer dd { margin: 0; overflow-wrap: anywhere; }
`;
