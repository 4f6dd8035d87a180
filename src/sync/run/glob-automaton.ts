/** What one character must be. */
export type Test = (code: number) => boolean;

/** A glob as a regular expression's parts (glob.ts builds it). */
export type Ast =
  | { kind: 'char'; test: Test }
  | { kind: 'seq'; items: Ast[] }
  | { kind: 'alt'; options: Ast[] }
  | { kind: 'repeat'; item: Ast }
  | { kind: 'optional'; item: Ast };

type State = { kind: 'char'; test: Test; next: number } | { kind: 'split'; next: number; other: number } | { kind: 'match' };

/** A set of the automaton's states, as a deterministic state: what it leads to, per character, once asked. */
interface SetState {
  states: number[];
  accepting: boolean;
  /** Where each ASCII character leads (-1: not asked yet); the others in `next`. */
  ascii: Int32Array;
  next: Map<number, number>;
}

/** Sets kept at most; past that the cache starts over (an adversarial pattern and key can make many). */
const MAX_SETS = 256;

/**
 * Thompson's construction of the expression, run as a lazily built deterministic automaton (as RE2
 * does): the live states move through the key side by side, never back, and each step from one set
 * of states on one character is computed once and then looked up. Time linear in the key whatever
 * the pattern; a typical key costs a map lookup per character.
 */
export class Automaton {
  private readonly states: State[] = [{ kind: 'match' }];
  private readonly start: number;
  /** The step at which each state was last added to a set being built. */
  private readonly seen: Int32Array;
  private step = 0;
  private sets: SetState[] = [];
  private setIds = new Map<string, number>();
  private startSet: number;

  constructor(ast: Ast) {
    this.start = this.compile(ast, 0);
    this.seen = new Int32Array(this.states.length).fill(-1);
    this.startSet = this.intern(this.closure([this.start]));
  }

  accepts(key: string): boolean {
    let current = this.startSet;
    for (let i = 0; i < key.length; i += 1) {
      // One character: a surrogate pair is one code point (a lone surrogate its own).
      const code = key.codePointAt(i)!;
      if (code > 0xffff) i += 1;
      const set = this.sets[current]!;
      const known = code < 128 ? set.ascii[code]! : (set.next.get(code) ?? -1);
      current = known >= 0 ? known : this.advance(current, code);
      if (this.sets[current]!.states.length === 0) return false;
    }
    return this.sets[current]!.accepting;
  }

  /** The set `from` leads to on `code`, computed and remembered. */
  private advance(from: number, code: number): number {
    const reached: number[] = [];
    for (const index of this.sets[from]!.states) {
      const state = this.states[index]!;
      if (state.kind === 'char' && state.test(code)) reached.push(state.next);
    }
    const states = this.closure(reached);
    if (this.sets.length >= MAX_SETS) {
      this.sets = [];
      this.setIds = new Map();
      this.startSet = this.intern(this.closure([this.start]));
      return this.intern(states);
    }
    const to = this.intern(states);
    const set = this.sets[from]!;
    if (code < 128) set.ascii[code] = to;
    else set.next.set(code, to);
    return to;
  }

  private intern(states: number[]): number {
    const name = states.join(',');
    let id = this.setIds.get(name);
    if (id === undefined) {
      id = this.sets.push({ states, accepting: states.includes(0), ascii: new Int32Array(128).fill(-1), next: new Map() }) - 1;
      this.setIds.set(name, id);
    }
    return id;
  }

  /** The character-reading states reached from `from` without reading one (splits followed), sorted. */
  private closure(from: number[]): number[] {
    if (++this.step > 1 << 30) {
      this.seen.fill(-1);
      this.step = 1;
    }
    const found: number[] = [];
    const pending = [...from].reverse();
    while (pending.length > 0) {
      const at = pending.pop()!;
      if (this.seen[at] === this.step) continue;
      this.seen[at] = this.step;
      const state = this.states[at]!;
      if (state.kind === 'split') pending.push(state.other, state.next);
      else found.push(at);
    }
    return found.sort((a, b) => a - b);
  }

  /** The states of `ast`, leading to `next`; returns its first state. */
  private compile(ast: Ast, next: number): number {
    const { states } = this;
    switch (ast.kind) {
      case 'char':
        return states.push({ kind: 'char', test: ast.test, next }) - 1;
      case 'seq':
        return ast.items.reduceRight((after, item) => this.compile(item, after), next);
      case 'alt': {
        const starts = ast.options.map((option) => this.compile(option, next));
        return starts.slice(1).reduce((first, other) => states.push({ kind: 'split', next: first, other }) - 1, starts[0] ?? next);
      }
      case 'optional':
        return states.push({ kind: 'split', next: this.compile(ast.item, next), other: next }) - 1;
      case 'repeat': {
        const loop = states.push({ kind: 'split', next: -1, other: next }) - 1;
        (states[loop] as { next: number }).next = this.compile(ast.item, loop);
        return loop;
      }
    }
  }
}
