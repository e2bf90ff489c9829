import { CertStatus } from './cluster-pki';

/** `OK`, `expiring`, ...: the STATUS column. */
export function stateLabel(row: CertStatus): string {
  return row.state === 'ok' ? 'OK' : row.state;
}

/** True when every row is OK (what `hacp pki status` exits 0 for). */
export function allOk(rows: CertStatus[]): boolean {
  return rows.every((r) => r.state === 'ok');
}

/** The `hacp pki status` table: name, subject, SANs, issuer, not-after, days left, status (+ why). */
export function formatStatusTable(rows: CertStatus[]): string {
  const header = ['NAME', 'SUBJECT', 'SANS', 'ISSUER', 'NOT AFTER', 'DAYS', 'STATUS'];
  const body = rows.map((r) => [
    r.name,
    r.subject ?? '-',
    r.sans.length ? r.sans.join(',') : '-',
    r.issuer ?? '-',
    r.notAfter ? r.notAfter.slice(0, 10) : '-',
    r.daysLeft === undefined ? '-' : String(r.daysLeft),
    r.reason && r.state !== 'ok' ? `${stateLabel(r)}: ${r.reason}` : stateLabel(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (i === header.length - 1 ? 0 : row[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  const bad = rows.filter((r) => r.state !== 'ok').length;
  return [line(header), ...body.map(line), '', bad ? `${bad} of ${rows.length} need attention` : `all ${rows.length} OK`].join('\n') + '\n';
}
