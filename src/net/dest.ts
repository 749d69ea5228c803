/**
 * `--dest`: where a run's DICOM outputs go. `AET@host:port` is a DICOM node (C-STORE);
 * `http://…` or `https://…` is a DICOMweb service root (STOW-RS to `<root>/studies`).
 */
import { BerthError } from '../errors.js';

/** One destination, parsed. */
export type Destination =
  | {
      readonly protocol: 'dimse';
      readonly text: string;
      readonly aet: string;
      readonly host: string;
      readonly port: number;
    }
  | { readonly protocol: 'stow'; readonly text: string; readonly url: URL };

/** An AE title: 1–16 characters of the default repertoire, no backslash, not only spaces. */
export function aeTitleProblem(aet: string): string | undefined {
  if (aet.length === 0 || aet.length > 16) return 'an AE title is 1 to 16 characters long';
  if (!/^[\x20-\x7e]+$/.test(aet) || aet.includes('\\')) return 'an AE title is printable ASCII without \\';
  if (aet.trim() === '') return 'an AE title is not only spaces';
  return undefined;
}

function bad(text: string, why: string): BerthError {
  return new BerthError('BERTH_E_LISTEN_DEST', `--dest ${JSON.stringify(text)}: ${why}`, {
    expected: 'AET@host:port (C-STORE) or http(s)://host/…/dicom-web (STOW-RS)',
  });
}

/** Parses one `--dest`. */
export function parseDestination(text: string): Destination {
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw bad(text, 'not a URL');
    }
    if (url.username || url.password) throw bad(text, 'credentials do not belong in the URL');
    return { protocol: 'stow', text, url };
  }
  const m = /^(.+)@(\[[0-9a-fA-F:.]+\]|[^:@[\]]+):([0-9]{1,5})$/.exec(text);
  if (!m) throw bad(text, 'not AET@host:port');
  const [, aet, host, portText] = m;
  const problem = aeTitleProblem(aet!);
  if (problem) throw bad(text, problem);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(text, 'the port is not 1–65535');
  return { protocol: 'dimse', text, aet: aet!, host: host!.replace(/^\[|\]$/g, ''), port };
}
