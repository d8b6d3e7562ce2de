// Small pure formatting helpers.

/**
 * Splits a 12-digit admission number into the groups it is built from (DESIGN.md): city (2),
 * county (2), sitting (3: year + 1 April / 2 October), serial (5): `420127100042` →
 * `["42", "01", "271", "00042"]`. Anything else is cut into groups of four so it stays readable.
 */
export function groupAdmissionNumber(number: string): string[] {
  const digits = number.replace(/\s+/g, '');
  if (/^\d{12}$/.test(digits)) {
    return [digits.slice(0, 2), digits.slice(2, 4), digits.slice(4, 7), digits.slice(7)];
  }
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += 4) groups.push(digits.slice(i, i + 4));
  return groups;
}

/** A score for display: at most three decimals, no trailing zeros beyond one. */
export function formatScore(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const fixed = value.toFixed(3).replace(/0+$/, '');
  return fixed.endsWith('.') ? `${fixed}0` : fixed;
}

/**
 * `lastPushAt` for staff: epoch milliseconds (a number below 1e11 is taken as seconds) or an
 * RFC 3339 string; anything unparsable is shown as it came.
 */
export function formatTimestamp(value: number | string, locale: string, options: { timeOnly?: boolean } = {}): string {
  const date = typeof value === 'number' ? new Date(Math.abs(value) < 1e11 ? value * 1000 : value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const tag = locale === 'zh-CN' ? 'zh-CN' : 'en-GB';
  // `timeOnly`: the hour and minute alone (HH:MM, 24 h), for lists of today's events
  if (options.timeOnly) return date.toLocaleTimeString(tag, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return date.toLocaleString(tag, { hour12: false });
}

export function formatClock(date: Date, locale: string): string {
  return date.toLocaleTimeString(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', { hour12: false });
}

/**
 * A calendar date (`YYYY-MM-DD`, a birth date) for staff, like the other dates of the console
 * (zh-CN / en-GB): `1998年3月14日`, `14 Mar 1998`. Read as a calendar day (UTC), so no time zone
 * moves it; anything else (or an impossible day) is shown as it came.
 */
export function formatDate(value: string, locale: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return value;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return value;
  return date.toLocaleDateString(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    timeZone: 'UTC',
    year: 'numeric',
    month: locale === 'zh-CN' ? 'long' : 'short',
    day: 'numeric',
  });
}
