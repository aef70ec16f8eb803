/**
 * How the CLI shows results to people: plain aligned tables, ISO timestamps shortened to the minute.
 * Machines use --json instead, which prints the API's own shapes (KeyInfo etc.) unchanged.
 */
import type { KeyHistoryEvent } from '../keys/history.ts';
import type { KeyInfo, RotateDueResult } from '../keys/types.ts';

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function when(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 16).replace('T', ' ') + 'Z' : '-';
}

export function keyList(keys: readonly KeyInfo[]): string {
  if (keys.length === 0) return 'no keys\n';
  return table(
    ['NAME', 'TYPE', 'LATEST', 'MIN', 'ROTATION', 'NEXT ROTATION', 'VERSIONS'],
    keys.map((k) => [
      k.name,
      k.type + (k.legacy ? ' (legacy)' : ''),
      `v${k.latest_version}`,
      `v${k.min_version}`,
      k.rotation_period ?? '-',
      when(k.next_rotation_at),
      summary(k),
    ]),
  );
}

function summary(k: KeyInfo): string {
  const counts = new Map<string, number>();
  for (const v of k.versions) counts.set(v.state, (counts.get(v.state) ?? 0) + 1);
  return ['active', 'pending', 'retired', 'revoked', 'destroyed']
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(', ');
}

export function keyDetail(k: KeyInfo): string {
  const head =
    `key ${k.name}: ${k.type}${k.legacy ? ' (legacy)' : ''}, ${k.purpose}, latest v${k.latest_version}, min v${k.min_version}, ` +
    `rotation ${k.rotation_period ?? 'none'}${k.next_rotation_at ? ` (next ${when(k.next_rotation_at)})` : ''}` +
    (k.origin === 'imported' ? ', imported (verify only)' : '') +
    (k.pending_version !== undefined ? `, v${k.pending_version} pending (signs from ${when(k.promotes_at)})` : '') +
    `${k.low_s_only ? ', verify low-S only' : ''}\n`;
  // AES keys also show each version's count against the AES-GCM bound of 2^32 (NIST SP 800-38D §8.3).
  const counted = k.purpose === 'encrypt';
  const rows = k.versions.map((v) => [
    `v${v.version}`,
    v.state + (v.version < k.min_version && v.state === 'retired' ? ' (below min)' : ''),
    when(v.created_at),
    when(v.revoked_at),
    when(v.destroyed_at),
    ...(counted ? [String(v.encryptions ?? 0)] : []),
  ]);
  return head + table(['VERSION', 'STATE', 'CREATED', 'REVOKED', 'DESTROYED', ...(counted ? ['ENCRYPTIONS'] : [])], rows);
}

export function rotateDueReport(r: RotateDueResult): string {
  if (r.rotated.length === 0 && r.failed.length === 0) return 'no key is due for rotation\n';
  const rows = [
    ...r.rotated.map((x) => [x.name, `rotated to v${x.version}`]),
    ...r.failed.map((x) => [x.name, `FAILED: ${x.code}: ${x.message}`]),
  ];
  return table(['KEY', 'RESULT'], rows) + `${r.rotated.length} rotated, ${r.failed.length} failed\n`;
}

/** What an event did, in words: "destroy v2", "configure min_version=3", "create ecdsa-p256". */
function whatOf(e: KeyHistoryEvent): string {
  const verb = e.op.replace(/^key_/, '');
  const facts = Object.entries(e.detail).map(([k, v]) => `${k}=${v === null ? 'none' : String(v)}`);
  return [verb, ...(e.version !== null ? [`v${e.version}`] : []), ...facts].join(' ');
}

export function keyHistoryTable(events: readonly KeyHistoryEvent[]): string {
  return table(
    ['TIME', 'ACTOR', 'WHAT', 'REASON'],
    events.map((e) => [e.ts.slice(0, 19).replace('T', ' ') + 'Z', e.actor, whatOf(e), e.reason ?? '-']),
  );
}
