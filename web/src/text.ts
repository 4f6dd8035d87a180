/**
 * Bidirectional controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM) in data the
 * page shows (job names, S3 keys, paths, failure reasons) would reorder what is displayed: "invoice-\u202Efdp.exe"
 * reads "invoice-exe.pdf", and the reason next to it runs backwards. They are shown as escapes instead.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export const visible = (text: string): string =>
  text.replace(BIDI_CONTROLS, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
