/**
 * Parsing of DATETIME text returned by MySQL, MariaDB and the RDS Data API. Every stored time is
 * UTC (written by UTC_TIMESTAMP(6)), and the text carries no zone, so it is read as UTC whatever
 * the process time zone is. The Data API drops trailing zeros of the fraction, so any count of
 * fractional digits from 0 to 6 is accepted.
 */

const DATABASE_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

export interface DatabaseInstant {
  /** ISO 8601 in UTC with microseconds, such as `2026-12-04T10:30:00.000000Z`. */
  readonly iso: string;
  /** Milliseconds since the Unix epoch; microseconds are truncated. */
  readonly epochMilliseconds: number;
}

/** Parses `YYYY-MM-DD HH:MM:SS[.f{1,6}]` as UTC. Throws RangeError for any other text. */
export function parseDatabaseDatetime(text: string): DatabaseInstant {
  const match = DATABASE_DATETIME.exec(text);
  if (match === null) {
    throw new RangeError(`Unexpected DATETIME text "${text}"; expected YYYY-MM-DD HH:MM:SS with up to 6 fractional digits`);
  }
  const [, year, month, day, hour, minute, second, fraction = ''] = match as unknown as string[];
  const micros = fraction.padEnd(6, '0');
  const parts = [Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)] as const;

  // Date.UTC maps years 0 to 99 to 1900 to 1999, so the year is set on its own.
  const date = new Date(0);
  date.setUTCFullYear(parts[0], parts[1], parts[2]);
  date.setUTCHours(parts[3], parts[4], parts[5], Number(micros.slice(0, 3)));

  // Date rolls out-of-range fields over (month 13, minute 60, 30 February), so a field that
  // changed on the way means the text was no calendar time.
  const roundTrip = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  if (roundTrip.some((value, index) => value !== parts[index])) {
    throw new RangeError(`DATETIME text "${text}" is not a calendar date and time`);
  }
  return { iso: `${year}-${month}-${day}T${hour}:${minute}:${second}.${micros}Z`, epochMilliseconds: date.getTime() };
}

/** Parses a nullable DATETIME column to its ISO text. */
export function databaseIsoOrNull(text: string | null): string | null {
  return text === null ? null : parseDatabaseDatetime(text).iso;
}
