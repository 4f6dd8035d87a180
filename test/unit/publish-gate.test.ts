import { describe, expect, it } from 'vitest';
import { createPublishGate } from '../../src/events/publish-gate.js';
import { waitFor } from '../helpers/poll.js';

/** A PUBLISH sender whose answers the test gives: `answerAll()` answers every one sent so far. */
function fakeRedis() {
  const sent: string[] = [];
  const pending: Array<() => void> = [];
  return {
    sent,
    send: (channel: string, message: string) => {
      sent.push(`${channel}:${message}`);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    answerAll: () => pending.splice(0).forEach((resolve) => resolve()),
  };
}

const noHooks = { onStalled: () => {}, onAnsweredAfterStall: () => {} };

describe('publish gate', () => {
  it('sends a burst of 2,000 PUBLISHes (one batch commit) to a Redis that answers, dropping none', () => {
    const redis = fakeRedis();
    const gate = createPublishGate(redis.send, noHooks);
    for (let i = 0; i < 2_000; i++) gate.publish('c', String(i));
    redis.answerAll();
    for (let i = 2_000; i < 4_000; i++) gate.publish('c', String(i));
    expect(redis.sent).toHaveLength(4_000);
    expect(gate.dropped).toBe(0);
    gate.close();
  });

  it('drops PUBLISHes beyond the limit of unanswered ones, and sends again once they are answered', async () => {
    const redis = fakeRedis();
    const gate = createPublishGate(redis.send, noHooks, { maxInFlight: 3 });
    for (let i = 0; i < 5; i++) gate.publish('c', String(i));
    expect([redis.sent, gate.dropped]).toEqual([['c:0', 'c:1', 'c:2'], 2]);
    redis.answerAll();
    await Promise.resolve();
    gate.publish('c', 'after');
    expect(redis.sent.at(-1)).toBe('c:after');
    gate.close();
  });

  it('takes a Redis that leaves PUBLISHes unanswered as down until it answers one', async () => {
    const redis = fakeRedis();
    const said: string[] = [];
    const gate = createPublishGate(redis.send, { onStalled: () => said.push('stalled'), onAnsweredAfterStall: () => said.push('answered') }, { stallMs: 20 });
    gate.publish('c', 'waits');
    await waitFor(() => said.includes('stalled'), 5_000, 'the stall');
    gate.publish('c', 'dropped');
    expect([redis.sent, gate.dropped]).toEqual([['c:waits'], 1]);
    redis.answerAll();
    await waitFor(() => said.includes('answered'), 5_000, 'the answer');
    gate.publish('c', 'sent');
    expect([redis.sent, said]).toEqual([['c:waits', 'c:sent'], ['stalled', 'answered']]);
    gate.close();
  });
});
