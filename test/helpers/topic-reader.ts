import type { IHeaders, Kafka } from 'kafkajs';
import { uniqueName } from './stack-env.js';

export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
  /** The idempotent producer that wrote it: `<producer id>/<epoch> seq <sequence>` (null when not idempotent or not known). */
  readonly producer: string | null;
}

/**
 * Everything on a topic right now, each record once, read from the beginning with a
 * throw-away group: the read ends once every partition is read up to the end it had when
 * the call started.
 */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 20_000): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  const starts = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.low)]));
  await admin.disconnect();
  const pending = new Set([...ends].filter(([p, end]) => end > (starts.get(p) ?? 0n)).map(([p]) => p));
  const out: ReadRecord[] = [];
  const seen = new Set<string>();
  if (pending.size === 0) return out;
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic}: partitions ${[...pending].join(', ')} not read to the end in ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (BigInt(message.offset) >= (ends.get(partition) ?? 0n)) return;
          // Consumption is at least once (a rejoin re-reads from the last commit): each record is returned once.
          const at = `${partition}@${message.offset}`;
          if (seen.has(at)) return;
          seen.add(at);
          out.push({ partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value, headers: message.headers ?? {}, producer: producerOf(message) });
          if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) pending.delete(partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** kafkajs hands each record its batch's fields (`batchContext`): who wrote it, and the record's sequence number. */
function producerOf(message: object): string | null {
  const b = (message as { batchContext?: { producerId?: string; producerEpoch?: number; firstSequence?: number; firstOffset?: string } }).batchContext;
  const offset = (message as { offset?: string }).offset;
  if (b?.producerId === undefined || b.producerId === '-1' || b.firstSequence === undefined || b.firstOffset === undefined || offset === undefined) return null;
  return `${b.producerId}/${b.producerEpoch} seq ${b.firstSequence + Number(BigInt(offset) - BigInt(b.firstOffset))}`;
}
