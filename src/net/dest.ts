/**
 * `--dest`: where a run's DICOM outputs go. `AET@host:port` is a DICOM node (C-STORE);
 * `http://…` or `https://…` is a DICOMweb service root (STOW-RS to `<root>/studies`), with a
 * bearer token from a file (`--dest-token-file [DEST=]FILE`): never on the command line, where
 * `ps` shows it, and read again at each delivery, so a token rotated in the file needs no restart.
 */
import { readFile, stat } from 'node:fs/promises';
import { BerthError, isBerthError } from '../errors.js';

/** One destination, parsed. */
export type Destination =
  | {
      readonly protocol: 'dimse';
      readonly text: string;
      readonly aet: string;
      readonly host: string;
      readonly port: number;
    }
  | {
      readonly protocol: 'stow';
      readonly text: string;
      readonly url: URL;
      /** The file holding the bearer token sent as `Authorization: Bearer …`. */
      readonly tokenFile?: string;
    };

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

/** The largest token file berth reads. */
export const MAX_TOKEN_FILE_BYTES = 16 * 1024;

function badToken(why: string, path?: string): BerthError {
  return new BerthError('BERTH_E_LISTEN_DEST_TOKEN', `--dest-token-file: ${why}`, {
    ...(path === undefined ? {} : { path }),
    expected:
      'FILE or DEST=FILE, DEST an http(s) --dest (https unless on loopback); the file holding one bearer token',
  });
}

/** True for a host name that is this machine's loopback (a token may go there over plain http). */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Gives `--dest-token-file` values to the STOW-RS destinations: `FILE` to every http(s) one,
 * `DEST=FILE` to the one whose `--dest` is exactly DEST. A token never goes over plain http to
 * another host (it would cross the network in clear).
 */
export function withTokenFiles(dests: readonly Destination[], specs: readonly string[]): Destination[] {
  const files = new Map<Destination, string>();
  for (const spec of specs) {
    const named = dests.find((d) => spec.startsWith(`${d.text}=`));
    const targets = named ? [named] : dests.filter((d) => d.protocol === 'stow');
    const file = named ? spec.slice(named.text.length + 1) : spec;
    if (file === '') throw badToken(`${JSON.stringify(spec)} names no file`);
    if (targets.length === 0) throw badToken('there is no http(s) --dest to send a token to');
    for (const d of targets) {
      if (d.protocol !== 'stow')
        throw badToken(`${d.text} is a C-STORE destination: DICOM has no bearer tokens`);
      if (d.url.protocol === 'http:' && !isLoopback(d.url.hostname)) {
        throw badToken(`${d.text} is plain http to another host: the token would cross the network in clear`);
      }
      if (files.has(d)) throw badToken(`${d.text} is given two token files`);
      files.set(d, file);
    }
  }
  return dests.map((d) => (d.protocol === 'stow' && files.has(d) ? { ...d, tokenFile: files.get(d)! } : d));
}

/**
 * Reads a bearer token from its file: one token (RFC 6750 token68 characters), surrounding white
 * space and a final newline dropped. BERTH_E_LISTEN_DEST_TOKEN when unreadable, empty or not a token.
 */
export async function readBearerToken(file: string): Promise<string> {
  let text: string;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw badToken('not a regular file', file);
    if (s.size > MAX_TOKEN_FILE_BYTES) throw badToken(`larger than ${MAX_TOKEN_FILE_BYTES} bytes`, file);
    text = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    if (isBerthError(e)) throw e;
    throw badToken(`cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, file);
  }
  if (text === '') throw badToken('the file is empty', file);
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(text))
    throw badToken('the file holds no single bearer token (RFC 6750 characters, no spaces)', file);
  return text;
}
