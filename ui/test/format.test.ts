import { describe, expect, it } from 'vitest';
import { formatScore, formatTimestamp, groupAdmissionNumber } from '../src/format';

describe('admission number grouping', () => {
  it('splits the 12 digits as city, county, sitting, serial', () => {
    expect(groupAdmissionNumber('420127100042')).toEqual(['42', '01', '271', '00042']);
  });

  it('ignores spaces already in the number', () => {
    expect(groupAdmissionNumber('42 01 271 00042')).toEqual(['42', '01', '271', '00042']);
  });

  it('cuts anything that is not 12 digits into fours, losing nothing', () => {
    expect(groupAdmissionNumber('1234567890')).toEqual(['1234', '5678', '90']);
    expect(groupAdmissionNumber('')).toEqual([]);
    expect(groupAdmissionNumber('42012710004X').join('')).toBe('42012710004X');
  });
});

describe('scores and times', () => {
  it('formats scores with up to three decimals', () => {
    expect(formatScore(0.41)).toBe('0.41');
    expect(formatScore(1)).toBe('1.0');
    expect(formatScore(0.123456)).toBe('0.123');
    expect(formatScore(38)).toBe('38.0');
  });

  it('reads epoch milliseconds, epoch seconds and RFC 3339', () => {
    const ms = Date.UTC(2027, 2, 14, 8, 30, 0);
    const a = formatTimestamp(ms, 'en');
    expect(a).toBe(formatTimestamp(ms / 1000, 'en'));
    expect(a).toBe(formatTimestamp(new Date(ms).toISOString(), 'en'));
    expect(a).toMatch(/2027/);
    expect(formatTimestamp('not a date', 'en')).toBe('not a date');
  });
});
