const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration written as seconds (`60`, `1.5`) or a number with a unit (`90s`, `5m`, `1h`,
 * `500ms`, `1d`), rounded to whole milliseconds. Returns an error message instead of throwing.
 */
export function parseDuration(text: string): { ms: number } | { error: string } {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(text.trim());
  if (!match) return { error: 'is not a duration' };
  const ms = Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? 's').toLowerCase()]!);
  return Number.isSafeInteger(ms) ? { ms } : { error: 'is too large' };
}
