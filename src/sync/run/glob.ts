import { Automaton, type Ast, type Test } from './glob-automaton.js';

/**
 * The include/exclude globs, matched in time linear in the key: the pattern becomes a small
 * automaton (Thompson's construction) whose live states are followed side by side through the key,
 * one character at a time. A regular expression built from a glob (picomatch, minimatch) backtracks:
 * `*-*-*-*.csv` against a 300-character key took 1.6 s there, and one more `*` takes hours, on
 * whichever thread matches (the API's, for a preview).
 *
 * Syntax (picomatch's with `dot: true`, for what the README documents): `*` any characters but `/`
 * (at least one when it is the whole segment), `**` as a whole segment any number of segments, `?`
 * one character but `/`, `[abc]` `[a-z]` `[!abc]` `[^abc]` one of (never `/`), `{a,b}` either
 * (nested, any glob inside), `\` escapes the next character. A key holding a `.` or `..` segment
 * matches no pattern (such a key is refused as unsafe anyway).
 */

/** Wildcards (`*`, `**`) a pattern may hold: each keeps a state live through the key. */
export const MAX_GLOB_WILDCARDS = 20;
/** `{…,…}` alternatives a pattern may hold, all braces together. */
export const MAX_GLOB_ALTERNATIVES = 100;

export class GlobSyntaxError extends Error {}

type Token =
  | { kind: 'char'; test: Test; slash?: true }
  | { kind: 'star' }
  | { kind: 'globstar' }
  | { kind: 'alt'; options: Token[][] };

const SLASH = 0x2f;
const notSlash: Test = (code) => code !== SLASH;
const anyChar: Test = () => true;
const literal = (code: number): Token => ({ kind: 'char', test: (c) => c === code, ...(code === SLASH ? { slash: true as const } : {}) });

export interface Glob {
  matches(key: string): boolean;
}

export function compileGlob(pattern: string): Glob {
  // Keys are relative to the prefix: a leading `./` names the same place.
  const parser = new Parser(pattern.replace(/^(?:\.\/)+/, ''));
  const tokens = parser.sequence(false);
  if (parser.wildcards > MAX_GLOB_WILDCARDS) throw new GlobSyntaxError(`more than ${MAX_GLOB_WILDCARDS} wildcards (* or **)`);
  if (parser.alternatives > MAX_GLOB_ALTERNATIVES) throw new GlobSyntaxError(`more than ${MAX_GLOB_ALTERNATIVES} {…} alternatives`);
  const automaton = new Automaton(assemble(tokens));
  return { matches: (key) => !hasDotSegment(key) && automaton.accepts(key) };
}

const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;
const hasDotSegment = (key: string) => DOT_SEGMENT.test(key);

class Parser {
  private at = 0;
  wildcards = 0;
  alternatives = 0;
  constructor(private readonly text: string) {}

  /** Tokens up to the end, or (inside braces) up to the `,` or `}` that ends this alternative. */
  sequence(inBraces: boolean): Token[] {
    const tokens: Token[] = [];
    const { text } = this;
    while (this.at < text.length) {
      const char = text[this.at]!;
      if (inBraces && (char === ',' || char === '}')) break;
      if (char === '?') {
        this.at += 1;
        tokens.push({ kind: 'char', test: notSlash });
      } else if (char === '[') tokens.push(this.bracket());
      else if (char === '*') tokens.push(this.stars(tokens, inBraces));
      else if (char === '{' && this.closingBrace() !== -1) tokens.push(this.braces());
      else tokens.push(literal(this.codeAt()));
    }
    return tokens;
  }

  /** The code point at the cursor (the one after a `\`, which escapes it), which moves past it. */
  private codeAt(): number {
    if (this.text[this.at] === '\\' && this.at + 1 < this.text.length) this.at += 1;
    const code = this.text.codePointAt(this.at)!;
    this.at += code > 0xffff ? 2 : 1;
    return code;
  }

  private stars(before: Token[], inBraces: boolean): Token {
    let end = this.at;
    while (this.text[end] === '*') end += 1;
    const count = end - this.at;
    this.at = end;
    this.wildcards += 1;
    const previous = before[before.length - 1];
    const startsSegment = previous === undefined || (previous.kind === 'char' && previous.slash === true);
    const next = this.text[this.at];
    const endsSegment = next === undefined || next === '/' || (inBraces && (next === ',' || next === '}'));
    return count >= 2 && startsSegment && endsSegment ? { kind: 'globstar' } : { kind: 'star' };
  }

  private bracket(): Token {
    const { text } = this;
    const open = this.at;
    this.at += 1;
    const negated = text[this.at] === '!' || text[this.at] === '^';
    if (negated) this.at += 1;
    const ranges: Array<[number, number]> = [];
    let first = true;
    while (this.at < text.length && (text[this.at] !== ']' || first)) {
      first = false;
      const low = this.codeAt();
      let high = low;
      if (text[this.at] === '-' && this.at + 1 < text.length && text[this.at + 1] !== ']') {
        this.at += 1;
        high = this.codeAt();
        if (high < low) throw new GlobSyntaxError(`a range out of order in ${text.slice(open, this.at)}`);
      }
      ranges.push([low, high]);
    }
    if (this.at >= text.length) throw new GlobSyntaxError('a [ without its ]');
    this.at += 1;
    const inClass = (code: number) => ranges.some(([low, high]) => code >= low && code <= high);
    return { kind: 'char', test: (code) => code !== SLASH && inClass(code) !== negated };
  }

  /** The index of the `}` closing the `{` at the cursor when a `,` separates alternatives in it, else -1 (a literal `{`). */
  private closingBrace(): number {
    let depth = 0;
    let comma = false;
    for (let at = this.at; at < this.text.length; at += 1) {
      const char = this.text[at];
      if (char === '\\') at += 1;
      else if (char === '{') depth += 1;
      else if (char === ',' && depth === 1) comma = true;
      else if (char === '}' && --depth === 0) return comma ? at : -1;
    }
    return -1;
  }

  private braces(): Token {
    const options: Token[][] = [];
    do {
      this.at += 1;
      options.push(this.sequence(true));
    } while (this.text[this.at] === ',');
    this.at += 1;
    this.alternatives += options.length;
    return { kind: 'alt', options };
  }
}

const repeatAny = (test: Test): Ast => ({ kind: 'repeat', item: { kind: 'char', test } });
const slashChar: Ast = { kind: 'char', test: (code) => code === SLASH };

/** Tokens to an expression: `**` with its slashes as picomatch reads them, a lone `*` segment not empty. */
function assemble(all: Token[]): Ast {
  const isSlash = (t: Token | undefined) => t?.kind === 'char' && t.slash === true;
  // `**/**` is `**`.
  const tokens: Token[] = [];
  for (const token of all) {
    if (token.kind === 'globstar' && isSlash(tokens[tokens.length - 1]) && tokens[tokens.length - 2]?.kind === 'globstar') tokens.pop();
    else tokens.push(token);
  }
  const items: Ast[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    if (token.kind === 'globstar') {
      // `**/`: zero or more segments, each with its slash; a `**` ending the pattern: anything.
      if (isSlash(next)) {
        items.push({ kind: 'optional', item: { kind: 'seq', items: [repeatAny(anyChar), slashChar] } });
        i += 1;
      } else items.push(repeatAny(anyChar));
    } else if (isSlash(token) && next?.kind === 'globstar' && i + 2 === tokens.length) {
      // A trailing `/**`: anything beneath the folder, and the folder itself unless a `*` names it.
      const beneath: Ast = { kind: 'seq', items: [slashChar, repeatAny(anyChar)] };
      items.push(tokens[i - 1]?.kind === 'star' ? beneath : { kind: 'optional', item: beneath });
      i += 1;
    } else if (token.kind === 'star') {
      const alone = (i === 0 || isSlash(tokens[i - 1])) && (next === undefined || isSlash(next));
      items.push(alone ? { kind: 'seq', items: [{ kind: 'char', test: notSlash }, repeatAny(notSlash)] } : repeatAny(notSlash));
    } else if (token.kind === 'alt') items.push({ kind: 'alt', options: token.options.map(assemble) });
    else items.push({ kind: 'char', test: token.test });
  }
  return { kind: 'seq', items };
}
