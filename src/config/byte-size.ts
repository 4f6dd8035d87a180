const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const FACTOR = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * Parses a byte count written as an integer (`10485760`), with a unit (`8MiB`, `10MB`)
 * or as a product of such factors (`10 * 1024 * 1024`, the old service's form).
 * Returns an error message instead of throwing; never evaluates the text as code.
 */
export function parseByteSize(text: string): { bytes: number } | { error: string } {
  const factors = text.trim().split('*').map((part) => part.trim());
  if (factors.length === 0 || factors.some((part) => part === '')) {
    return { error: 'is empty or has an empty factor' };
  }
  let bytes = 1;
  for (const factor of factors) {
    const match = FACTOR.exec(factor);
    if (!match) return { error: `${JSON.stringify(factor)} is not a number with an optional unit` };
    const [, digits = '', unitText = ''] = match;
    const unit = unitText === '' ? 1 : UNIT_BYTES[unitText.toLowerCase()];
    if (unit === undefined) return { error: `unknown unit ${JSON.stringify(unitText)}` };
    bytes *= Number(digits) * unit;
  }
  if (!Number.isInteger(bytes) && Number.isFinite(bytes)) return { error: 'is not a whole number of bytes' };
  // Too large to count exactly: the callers' range checks refuse it as out of range.
  if (!Number.isSafeInteger(bytes)) return { bytes: Number.POSITIVE_INFINITY };
  return { bytes };
}
