import { describe, expect, it } from 'vitest';
import { formatDate, formatScore, formatTimestamp, groupAdmissionNumber } from '../src/format';

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
    // timeOnly: HH:MM (24 h), from the same values
    const time = formatTimestamp(ms, 'zh-CN', { timeOnly: true });
    expect(time).toMatch(/^\d{2}:\d{2}$/);
    expect(formatTimestamp(ms / 1000, 'en', { timeOnly: true })).toBe(time);
    expect(formatTimestamp('not a date', 'en', { timeOnly: true })).toBe('not a date');
  });
});

describe('calendar dates', () => {
  it('formats YYYY-MM-DD like the other staff dates, per locale, without a time zone shift', () => {
    expect(formatDate('1998-03-14', 'zh-CN')).toBe('1998年3月14日');
    expect(formatDate('1998-03-14', 'en')).toBe('14 Mar 1998');
    expect(formatDate('2000-01-01', 'en')).toBe('1 Jan 2000');
    expect(formatDate('1999-12-31', 'zh-CN')).toBe('1999年12月31日');
  });

  it('shows anything that is not a real calendar day as it came', () => {
    expect(formatDate('1998-02-30', 'en')).toBe('1998-02-30');
    expect(formatDate('0098-03-14', 'en')).toBe('0098-03-14');
    expect(formatDate('14/03/1998', 'zh-CN')).toBe('14/03/1998');
    expect(formatDate('', 'en')).toBe('');
  });
});
