import { describe, expect, it } from 'vitest';
import { recordingPartitioner, sendCompletely, unanswered } from '../../../../services/shared/kafka/complete-send.js';
import type { PartitionAnswer, SentTopic } from '../../../../services/shared/kafka/complete-send.js';

interface Msg { readonly key: string }
type Args = { readonly topic: string; readonly message: Msg };

/** A partitioner as kafkajs calls it: key "kN" → partition N % 3. */
const partitionerFactory = recordingPartitioner<Args>(() => ({ message }) => Number(message.key.slice(1)) % 3);

/** A fake kafkajs send: partitions every record, answers for every partition but those in `drop` (once each). */
function fakeSend(drop: { topic: string; partition: number }[]) {
  const partition = partitionerFactory();
  const sent: string[][] = [];
  const send = async (topics: readonly SentTopic<Msg>[]): Promise<PartitionAnswer[]> => {
    const answers = new Map<string, PartitionAnswer>();
    sent.push(topics.flatMap((t) => t.messages.map((m) => `${t.topic}/${m.key}`)));
    for (const t of topics) {
      for (const message of t.messages) {
        const p = partition({ topic: t.topic, message });
        const dropped = drop.findIndex((d) => d.topic === t.topic && d.partition === p);
        if (dropped >= 0) continue;
        answers.set(`${t.topic}/${p}`, { topicName: t.topic, partition: p });
      }
    }
    // A partition is dropped for one whole send, as kafkajs drops it.
    for (const key of new Set(topics.flatMap((t) => t.messages.map((m) => `${t.topic}/${partition({ topic: t.topic, message: m })}`)))) {
      const i = drop.findIndex((d) => `${d.topic}/${d.partition}` === key);
      if (i >= 0) drop.splice(i, 1);
    }
    return [...answers.values()];
  };
  return { send, sent };
}

const msgs = (...keys: string[]): Msg[] => keys.map((key) => ({ key }));

describe('sendCompletely: a send kafkajs acknowledges without some partitions is completed', () => {
  it('sends once when every partition answers', async () => {
    const { send, sent } = fakeSend([]);
    const answers = await sendCompletely(send, [{ topic: 'a', messages: msgs('k0', 'k1', 'k2', 'k3') }]);
    expect(sent).toHaveLength(1);
    expect(answers.map((a) => a.partition).sort()).toEqual([0, 1, 2]);
  });

  it('sends again, in order, only the records of the partition with no answer', async () => {
    const { send, sent } = fakeSend([{ topic: 'a', partition: 1 }]);
    const resent: string[] = [];
    await sendCompletely(send, [{ topic: 'a', messages: msgs('k0', 'k1', 'k2', 'k4', 'k7') }, { topic: 'b', messages: msgs('k1') }],
      (left) => resent.push(...left.flatMap((t) => t.messages.map((m) => `${t.topic}/${m.key}`))));
    expect(sent).toEqual([['a/k0', 'a/k1', 'a/k2', 'a/k4', 'a/k7', 'b/k1'], ['a/k1', 'a/k4', 'a/k7']]);
    expect(resent).toEqual(['a/k1', 'a/k4', 'a/k7']);
  });

  it('keeps going while partitions keep missing, then fails retriably with KAFKA_SEND_INCOMPLETE naming them', async () => {
    const twice = fakeSend([{ topic: 'a', partition: 2 }, { topic: 'a', partition: 2 }]);
    await sendCompletely(twice.send, [{ topic: 'a', messages: msgs('k2', 'k3') }]);
    expect(twice.sent).toEqual([['a/k2', 'a/k3'], ['a/k2'], ['a/k2']]);

    const never = fakeSend(Array.from({ length: 10 }, () => ({ topic: 'a', partition: 2 })));
    await expect(sendCompletely(never.send, [{ topic: 'a', messages: msgs('k5') }])).rejects.toMatchObject({ code: 'KAFKA_SEND_INCOMPLETE', retriable: true, message: expect.stringContaining('a[2]') });
    expect(never.sent).toHaveLength(5);
  });

  it('cannot judge records no recording partitioner saw, and leaves them be', () => {
    const unseen: SentTopic<Msg> = { topic: 'a', messages: msgs('k9') };
    expect(unanswered([unseen], [])).toEqual([]);
  });
});
