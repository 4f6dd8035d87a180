import type { ByteSource } from './byte-source.js';

/** What a body asks of the connection it arrives on. */
export interface BodyLine {
  /** The connection is still on this body (not on a later exchange, not closed). */
  carries(body: BodyExchange): boolean;
  /** Reads from the socket on or off. */
  read(on: boolean): void;
  /** Ends the connection, and with it the body, with `error`. */
  fail(error: Error): void;
}

/** One response's body as it is handed over: pieces that came before `pipeTo`, then the consumer. */
export class BodyExchange {
  sink: ((piece: Buffer) => void) | null = null;
  /** Body bytes that arrived before `pipeTo` (copied: the read buffer is reused). */
  early: Buffer[] = [];
  waiter: { resolve: () => void; reject: (error: Error) => void } | null = null;
  outcome: { error: Error | null } | null = null;
  /** The consumer asked for a pause. */
  held = false;
  /** Where the consumer wants the next read to land (see `ByteSource.readInto`). */
  region: (() => Buffer | null) | null = null;

  constructor(private readonly line: BodyLine) {}

  settle(error: Error | null): void {
    if (this.outcome) return;
    this.outcome = { error };
    this.sink = null;
    if (error) this.waiter?.reject(error);
    else this.waiter?.resolve();
  }

  /** Passes a piece to the consumer, or keeps a copy (and stops reading) until it comes. */
  deliver(piece: Buffer): void {
    if (this.sink) return this.sink(piece);
    this.early.push(Buffer.from(piece));
    this.line.read(false);
  }

  /** The consumer's side: pausing or destroying it acts on the connection only while it still carries this body. */
  source(): ByteSource {
    const { line } = this;
    const current = () => line.carries(this);
    return {
      pipeTo: (onData) =>
        new Promise<void>((resolve, reject) => {
          for (const piece of this.early.splice(0)) onData(piece);
          if (this.outcome) return this.outcome.error ? reject(this.outcome.error) : resolve();
          this.sink = onData;
          this.waiter = { resolve, reject };
          if (current() && !this.held) line.read(true);
        }),
      pause: () => {
        this.held = true;
        if (current()) line.read(false);
      },
      resume: () => {
        this.held = false;
        if (current() && this.sink) line.read(true);
      },
      readInto: (region) => {
        this.region = region;
      },
      destroy: (error) => {
        if (current()) line.fail(error ?? new Error('the body was destroyed'));
        else this.settle(error ?? new Error('the body was destroyed'));
      },
    };
  }
}
