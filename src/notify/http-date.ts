const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

// The three forms RFC 9110 §5.6.7 has recipients accept, always in GMT. Date.parse is not used:
// it reads almost anything as a date ("x 1" is 2001) and a date without a zone in local time.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function utc(year: number, month: string, day: string, hour: string, minute: string, second: string): number | null {
  const fields = [year, MONTHS.indexOf(month), Number(day), Number(hour), Number(minute), Number(second)] as const;
  const date = new Date(Date.UTC(...fields));
  // Date.UTC rolls 31 Feb over into March and 24:00 into the next day: such a date is invalid, not another one.
  const read = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  return read.every((field, i) => field === fields[i]) ? date.getTime() : null;
}

/** The year a two-digit RFC 850 year names: one more than 50 years ahead is in the past century (RFC 9110 §5.6.7). */
function fullYear(twoDigits: string, nowMs: number): number {
  const thisYear = new Date(nowMs).getUTCFullYear();
  const year = Math.floor(thisYear / 100) * 100 + Number(twoDigits);
  return year > thisYear + 50 ? year - 100 : year;
}

/** An HTTP-date (IMF-fixdate, RFC 850 or asctime form) as ms since the epoch; null when it is none. */
export function parseHttpDate(value: string, nowMs: number): number | null {
  let match = IMF_FIXDATE.exec(value);
  if (match) return utc(Number(match[3]), match[2]!, match[1]!, match[4]!, match[5]!, match[6]!);
  match = RFC_850.exec(value);
  if (match) return utc(fullYear(match[3]!, nowMs), match[2]!, match[1]!, match[4]!, match[5]!, match[6]!);
  match = ASCTIME.exec(value);
  return match ? utc(Number(match[6]), match[1]!, match[2]!.trim(), match[3]!, match[4]!, match[5]!) : null;
}
