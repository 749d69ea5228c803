import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: Bearer <token>` headers against one token without leaking, through
 * timing, how much of a guess was right: both sides are hashed to 32 bytes first, so the
 * comparison is constant-time whatever the lengths (`timingSafeEqual` alone throws on unequal
 * lengths, and comparing lengths first would leak the token's length).
 */
export class BearerAuth {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  /** True when the header carries exactly the token (scheme `Bearer`, any case, RFC 6750). */
  accepts(authorization: string | undefined): boolean {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    // Hash even when the header is missing or malformed, so refusals all take the same time.
    const given = sha256(m?.[1] ?? '');
    return timingSafeEqual(given, this.digest) && m !== null;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
