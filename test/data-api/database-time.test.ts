import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDatabaseDatetime, type DatabaseInstant } from '../../functions/shared/lease/database-time.ts';

const execFileAsync = promisify(execFile);

/** DATETIME text as MySQL and the Data API return it, with 0 to 6 fractional digits, and its UTC instant. */
const CASES: readonly (readonly [text: string, iso: string, epochMilliseconds: number])[] = [
  ['2024-05-01 10:30:00', '2024-05-01T10:30:00.000000Z', 1714559400000],
  ['2024-05-01 10:30:00.3', '2024-05-01T10:30:00.300000Z', 1714559400300],
  ['2024-05-01 10:30:00.32', '2024-05-01T10:30:00.320000Z', 1714559400320],
  ['2024-05-01 10:30:00.321', '2024-05-01T10:30:00.321000Z', 1714559400321],
  ['2024-05-01 10:30:00.3214', '2024-05-01T10:30:00.321400Z', 1714559400321],
  ['2024-05-01 10:30:00.32145', '2024-05-01T10:30:00.321450Z', 1714559400321],
  ['2024-05-01 10:30:00.321456', '2024-05-01T10:30:00.321456Z', 1714559400321],
  ['2024-05-01 10:30:00.000001', '2024-05-01T10:30:00.000001Z', 1714559400000],
  ['2024-05-01 10:30:00.0', '2024-05-01T10:30:00.000000Z', 1714559400000],
  ['2026-03-02 10:29:59.999999', '2026-03-02T10:29:59.999999Z', 1772447399999],
  // Local times that do not exist or exist twice in zones with daylight saving time.
  ['2024-03-10 02:30:00.5', '2024-03-10T02:30:00.500000Z', 1710037800500],
  ['2024-11-03 01:30:00', '2024-11-03T01:30:00.000000Z', 1730597400000],
  ['2024-02-29 23:59:59.9', '2024-02-29T23:59:59.900000Z', 1709251199900],
  ['1000-01-01 00:00:00', '1000-01-01T00:00:00.000000Z', -30610224000000],
  ['0050-06-15 12:00:00', '0050-06-15T12:00:00.000000Z', -60574996800000],
  ['9999-12-31 23:59:59.999999', '9999-12-31T23:59:59.999999Z', 253402300799999],
];

const INVALID = [
  '',
  '2024-05-01',
  '2024-05-01 10:30',
  '2024-05-01 10:30:00.1234567',
  '2024-05-01 10:30:00.',
  '2024-05-01 10:30:00Z',
  '2024-05-01 10:30:00+00:00',
  '2024-13-01 10:30:00',
  '2024-00-01 10:30:00',
  '2024-02-30 10:30:00',
  '2023-02-29 10:30:00',
  '2024-05-01 24:00:00',
  '2024-05-01 10:60:00',
  '2024-05-01 10:30:60',
  '0000-00-00 00:00:00',
];

/** Zones whose offsets are not whole hours (Kathmandu +05:45, St. John's -03:30/-02:30 with DST). */
const TIME_ZONES = ['UTC', 'Asia/Kathmandu', 'America/St_Johns'];

const MODULE_URL = new URL('../../functions/shared/lease/database-time.ts', import.meta.url).href;

/**
 * Parses every case in a new Node.js process with TZ set, because changing process.env.TZ in a
 * running process does not reliably change the zone that Date uses.
 */
async function parseInTimeZone(timeZone: string): Promise<{ offsetMinutes: number; results: (DatabaseInstant | string)[] }> {
  const script = `
const { parseDatabaseDatetime } = await import(${JSON.stringify(MODULE_URL)});
const texts = JSON.parse(process.argv[1]);
const results = texts.map((text) => {
  try {
    return parseDatabaseDatetime(text);
  } catch (error) {
    return error.name;
  }
});
process.stdout.write(JSON.stringify({ offsetMinutes: new Date(Date.UTC(2024, 0, 15)).getTimezoneOffset(), results }));
`;
  const texts = [...CASES.map(([text]) => text), ...INVALID];
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '--eval', script, JSON.stringify(texts)], {
    env: { ...process.env, TZ: timeZone },
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
  });
  return JSON.parse(stdout) as { offsetMinutes: number; results: (DatabaseInstant | string)[] };
}

describe('parseDatabaseDatetime', () => {
  it.each(CASES)('parses %s as UTC', (text, iso, epochMilliseconds) => {
    expect(parseDatabaseDatetime(text)).toEqual({ iso, epochMilliseconds });
  });

  it.each(INVALID)('rejects "%s"', (text) => {
    expect(() => parseDatabaseDatetime(text)).toThrow(RangeError);
  });

  it.each(TIME_ZONES)('gives the same instants with TZ=%s', async (timeZone) => {
    const { offsetMinutes, results } = await parseInTimeZone(timeZone);

    const expectedOffset = { UTC: 0, 'Asia/Kathmandu': -345, 'America/St_Johns': 210 }[timeZone];
    expect(offsetMinutes).toBe(expectedOffset);
    expect(results).toEqual([
      ...CASES.map(([, iso, epochMilliseconds]) => ({ iso, epochMilliseconds })),
      ...INVALID.map(() => 'RangeError'),
    ]);
  });
});
