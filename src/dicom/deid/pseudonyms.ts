/**
 * Keyed pseudonyms: UIDs and per-patient date offsets derived from the site secret with
 * HMAC-SHA256, so the same input gives the same output in every instance and every re-send, and
 * nobody without the secret (or the stored map) can link them back.
 */
import { createHmac } from 'node:crypto';
import { uidFromUuid } from '../uid.js';

/** UIDs never remapped: the standard's own (SOP classes, transfer syntaxes, coding schemes). */
export function isStandardUid(uid: string): boolean {
  return uid.startsWith('1.2.840.10008.');
}

/**
 * `2.25.<decimal>` of the first 128 bits of HMAC-SHA256(secret, "uid\0" + uid), with the version 8
 * and variant bits set so the number is a valid UUID (PS3.5 B.2): at most 44 characters.
 */
export function pseudonymousUid(secret: Buffer, uid: string): string {
  const d = createHmac('sha256', secret).update(`uid\u0000${uid}`).digest();
  d[6] = (d[6]! & 0x0f) | 0x80;
  d[8] = (d[8]! & 0x3f) | 0x80;
  return uidFromUuid(d.subarray(0, 16).toString('hex'));
}

/** Largest date shift, in days (10 years). */
export const MAX_SHIFT_DAYS = 3652;

/**
 * The patient's whole-day date offset: from HMAC-SHA256(secret, "date\0" + PatientID), between
 * −MAX_SHIFT_DAYS and −1 (dates only move into the past, never to "the future").
 */
export function dateShiftDays(secret: Buffer, patientId: string): number {
  const d = createHmac('sha256', secret).update(`date\u0000${patientId}`).digest();
  return -(1 + (d.readUInt32BE(0) % MAX_SHIFT_DAYS));
}

const DAY_MS = 86_400_000;

/** Shifts one DA value (YYYYMMDD) by whole days; undefined when it is not a valid date. */
export function shiftDate(da: string, days: number): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(t);
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return undefined;
  const s = new Date(t + days * DAY_MS);
  const y = s.getUTCFullYear();
  if (y < 1 || y > 9999) return undefined;
  return `${String(y).padStart(4, '0')}${String(s.getUTCMonth() + 1).padStart(2, '0')}${String(s.getUTCDate()).padStart(2, '0')}`;
}

/** Shifts the date part of a DT value (the first 8 characters), keeping time and offset. */
export function shiftDateTime(dt: string, days: number): string | undefined {
  if (dt.length < 8) return undefined;
  const date = shiftDate(dt.slice(0, 8), days);
  return date === undefined ? undefined : date + dt.slice(8);
}

/** Text VRs whose values may quote a UID (descriptions, comments, URIs). */
export const UID_TEXT_VRS: ReadonlySet<string> = new Set(['LO', 'SH', 'ST', 'LT', 'UT', 'UC', 'UR']);

const UID_IN_TEXT = /[0-9]+(?:\.[0-9]+)+/g;

/**
 * Replaces every UID-shaped token of `text` (digits and dots, at least two components) that
 * `lookup` maps; returns the new text and how many tokens were replaced.
 */
export function replaceUidsInText(
  text: string,
  lookup: (uid: string) => string | undefined,
): [string, number] {
  let n = 0;
  const out = text.replace(UID_IN_TEXT, (token) => {
    const to = lookup(token);
    if (to === undefined) return token;
    n++;
    return to;
  });
  return [out, n];
}
