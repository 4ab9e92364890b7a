/** Text formatting for command results: tables and durations. */

/** Formats rows as left-aligned columns under a header, two spaces apart. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Formats seconds as `45.2s`, `29m 12s` or `3h 05m`; null as `-`. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '-';
  }
  if (seconds < 60) {
    return `${Math.round(seconds * 10) / 10}s`;
  }
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  return hours > 0 ? `${hours}h ${String(minutes).padStart(2, '0')}m` : `${minutes}m ${String(rest).padStart(2, '0')}s`;
}

/** Formats an ISO 8601 instant to the second, `2026-12-04 10:30:00Z`; null as `-`. */
export function formatInstant(iso: string | null): string {
  return iso === null ? '-' : `${iso.slice(0, 19).replace('T', ' ')}Z`;
}

/** Returns the last segment of an ARN (an execution or task name), or `-`. */
export function shortArn(arn: string | null): string {
  return arn === null ? '-' : (arn.split(/[:/]/).at(-1) ?? arn);
}
