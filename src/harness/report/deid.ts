/**
 * How a report shows `--deidentify` (harness/deid-stage.ts): one line for the terminal, a section
 * for the HTML page — what was removed, kept, shifted and remapped, and both UID maps.
 */
import type { DeidRunReport } from '../deid-stage.js';
import { html, type Html } from './html-escape.js';

/** `2 instance(s) de-identified (12 removed, 3 shifted, …) · 0 leaks · 2 output(s) re-identified`. */
export function deidSummary(d: DeidRunReport): string {
  const counts = Object.entries(d.counts).map(([action, n]) => `${n} ${action}`);
  const parts = [
    `${d.instances} instance(s) de-identified${counts.length ? ` (${counts.join(', ')})` : ''}`,
    `${Object.keys(d.uidMaps.deidentify).length} UID(s) remapped`,
    `date shift ${[...new Set(d.studies.map((s) => s.dateShiftDays))].join(', ') || 'none'} day(s)`,
    `${d.leaks} leak(s)`,
    d.outputs ? `${d.outputs.length} output(s) re-identified` : 'outputs not re-identified',
  ];
  return parts.join(' · ');
}

function options(d: DeidRunReport): string {
  const o = d.options;
  const on = [
    o.retainModifiedDates ? 'modified dates' : 'dates removed',
    o.retainPatientCharacteristics ? 'patient characteristics' : '',
    o.retainDeviceIdentity ? 'device identity' : '',
    o.cleanDescriptors ? 'clean descriptors' : '',
    o.keepPrivateCreators?.length ? `private blocks of ${o.keepPrivateCreators.join(', ')}` : '',
    o.allowBurnedIn ? 'burned-in allowed' : '',
    o.keep.length ? `keep list ${o.keep.join(', ')}` : 'empty keep list',
  ];
  return on.filter(Boolean).join(' · ');
}

function uidTable(title: string, map: Record<string, string>, from: string, to: string): Html {
  const rows = Object.entries(map);
  return html`<details>
    <summary>${title} <span class="count">${rows.length}</span></summary>
    <table>
      <thead>
        <tr>
          <th>${from}</th>
          <th>${to}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          ([a, b]) =>
            html`<tr>
              <td class="mono">${a}</td>
              <td class="mono">${b}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </details>`;
}

/** The HTML section, or nothing for a run without `--deidentify`. */
export function renderDeidentification(d: DeidRunReport | undefined): Html | '' {
  if (!d) return '';
  return html`<section id="deidentification">
    <h2>De-identification <span class="count">${d.instances}</span></h2>
    <p>${deidSummary(d)}</p>
    <p class="where">${d.method} · PS3.15 ${d.edition} · ${options(d)} · secret from ${d.secret}</p>
    <details>
      <summary>
        What was done to each attribute
        <span class="count">${d.attributes.length}${d.truncated ? '+' : ''}</span>
      </summary>
      <table>
        <thead>
          <tr>
            <th>action</th>
            <th>attribute</th>
            <th>why</th>
            <th>elements</th>
          </tr>
        </thead>
        <tbody>
          ${d.attributes.map(
            (a) =>
              html`<tr>
                <td>${a.action}</td>
                <td class="mono">${a.attribute}</td>
                <td>${a.reason}</td>
                <td>${a.count}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </details>
    ${uidTable('UIDs de-identified (what the machine saw)', d.uidMaps.deidentify, 'original', 'pseudonym')}
    ${uidTable('UIDs re-identified (applied to the outputs)', d.uidMaps.reidentify, 'pseudonym', 'original')}
    ${
      d.outputs
        ? html`<details>
            <summary>Re-identified outputs <span class="count">${d.outputs.length}</span></summary>
            <ul>
              ${d.outputs.map((o) => html`<li class="mono">${o.file} (${o.uidsRestored} UID(s) restored)</li>`)}
            </ul>
          </details>`
        : ''
    }
  </section>`;
}
