/**
 * The signing version from stored times: the highest version whose signs_from has passed (null: from creation);
 * later versions are pending until then; the answer never goes back as time passes, and `validUntil` is when it
 * next changes.
 */
import { describe, expect, it } from 'vitest';
import { signingState } from './signing-version.ts';
import type { VersionRow } from './store/key-rows.ts';

const T = Date.parse('2026-11-23T10:00:00Z');
function v(version: number, signsFrom: number | null): VersionRow {
  return {
    key: 'k', version, public_pem: null, wrapped: null, kek_id: null, created_at: '', revoked_at: null, destroyed_at: null, use_count: 0,
    signs_from: signsFrom === null ? null : new Date(signsFrom).toISOString(), external_kid: null, certificate_pem: null, certificate: null,
  };
}

describe('signingState', () => {
  it('without pre-publication the newest version signs', () => {
    expect(signingState([v(1, null), v(2, null), v(3, null)], T)).toEqual({ signing: 3, pending: null, validUntil: null });
  });

  it('a pre-published version is pending until its signs_from, then signs', () => {
    const rows = [v(1, null), v(2, T + 60_000)];
    expect(signingState(rows, T)).toEqual({ signing: 1, pending: { version: 2, promotesAt: new Date(T + 60_000).toISOString() }, validUntil: T + 60_000 });
    expect(signingState(rows, T + 59_999).signing).toBe(1);
    expect(signingState(rows, T + 60_000)).toEqual({ signing: 2, pending: null, validUntil: null });
  });

  it('an immediate rotation over a pending version signs at once and the passed-over version never signs', () => {
    const rows = [v(1, null), v(2, T + 60_000), v(3, null)];
    for (const t of [T, T + 60_000, T + 120_000]) expect(signingState(rows, t)).toEqual({ signing: 3, pending: null, validUntil: null });
  });

  it('never goes back as time passes (monotone in t), whatever the stored times', () => {
    const rows = [v(1, null), v(2, T + 30_000), v(3, T + 10_000), v(4, T + 50_000)];
    let last = 0;
    for (let t = T - 1000; t <= T + 60_000; t += 1000) {
      const s = signingState(rows, t).signing;
      expect(s).toBeGreaterThanOrEqual(last);
      last = s;
    }
    expect(last).toBe(4);
  });
});
