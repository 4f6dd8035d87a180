/** Text that is not well-formed XML character data; the message says why, quoting the start of the culprit. */
export class XmlTextError extends Error {
  override name = 'XmlTextError';
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * XML character data as a parser reports it: CR LF and lone CR read as LF, references replaced,
 * CDATA sections taken as they are. Any other markup inside the element (a comment, a child
 * element) is refused with an XmlTextError rather than taken into the value.
 */
export function decodeXmlText(raw: string): string {
  if (!raw.includes('<')) return decodeCharacterData(raw);
  const parts = raw.split(/<!\[CDATA\[([\s\S]*?)\]\]>/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return normaliseLineEnds(part);
      if (part.includes('<')) throw new XmlTextError(`markup inside a value: "${part.slice(part.indexOf('<'), part.indexOf('<') + 16)}"`);
      return decodeCharacterData(part);
    })
    .join('');
}

/** `decodeXmlText` for text only shown to people (an error answer's message): malformed text is kept as sent. */
export function decodeXmlTextLeniently(raw: string): string {
  try {
    return decodeXmlText(raw);
  } catch (error) {
    if (error instanceof XmlTextError) return raw;
    throw error;
  }
}

const normaliseLineEnds = (text: string) => (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text);

function decodeCharacterData(raw: string): string {
  const text = normaliseLineEnds(raw);
  if (!text.includes('&')) return text;
  return text.replace(/&([^;&]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new XmlTextError(`an unterminated reference "${whole.slice(0, 16)}"`);
    const named = NAMED[name];
    if (named !== undefined) return named;
    const code = /^#x[0-9a-fA-F]+$/.test(name) ? parseInt(name.slice(2), 16) : /^#\d+$/.test(name) ? parseInt(name.slice(1), 10) : Number.NaN;
    if (Number.isNaN(code) || code > 0x10ffff) throw new XmlTextError(`an unknown reference "${whole.slice(0, 16)}"`);
    return String.fromCodePoint(code);
  });
}
