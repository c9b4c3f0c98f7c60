import { describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { renewingProducer } from '../../../services/shared/kafka/kafkajs-adapter.js';

/** A stand-in kafkajs producer (a pure unit: only the calls the port makes). */
function fakeProducer(id: number, log: string[], fail: (n: number) => unknown): Producer {
  let sends = 0;
  const p = {
    connect: async () => { log.push(`connect ${id}`); },
    disconnect: async () => { log.push(`disconnect ${id}`); },
    send: async () => {
      sends++;
      const err = fail(sends);
      if (err !== undefined) throw err;
      log.push(`send ${id}`);
      return [{ topicName: 't', partition: 0, errorCode: 0, baseOffset: String(sends) }];
    },
  };
  return p as unknown as Producer;
}

const outOfOrder = Object.assign(new Error('The broker received an out of order sequence number'), { name: 'KafkaJSNonRetriableError', cause: { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' } });
const refused = Object.assign(new Error('message too large'), { type: 'MESSAGE_TOO_LARGE' });

describe('renewingProducer', () => {
  it('replaces its producer after the broker lost its sequence: the failed send fails, the next goes through a new, connected producer', async () => {
    const log: string[] = [];
    let made = 0;
    const producer = renewingProducer(() => {
      made++;
      return fakeProducer(made, log, (n) => (made === 1 && n === 2 ? outOfOrder : undefined));
    });
    await producer.connect();
    await producer.send('t', [{ value: Buffer.from('a') }]);
    await expect(producer.send('t', [{ value: Buffer.from('b') }])).rejects.toBe(outOfOrder);
    await producer.send('t', [{ value: Buffer.from('b') }]);
    expect(log).toEqual(['connect 1', 'send 1', 'disconnect 1', 'connect 2', 'send 2']);
  });

  it('keeps its producer after other errors (a record the broker refuses)', async () => {
    const log: string[] = [];
    let made = 0;
    const producer = renewingProducer(() => {
      made++;
      return fakeProducer(made, log, (n) => (n === 1 ? refused : undefined));
    });
    await producer.connect();
    await expect(producer.send('t', [{ value: null }])).rejects.toBe(refused);
    await producer.send('t', [{ value: null }]);
    expect(made).toBe(1);
  });
});
