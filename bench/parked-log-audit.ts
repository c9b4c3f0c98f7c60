import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { retryTiers } from '../schemas/retry-tiers.js';
import type { TopicCatalogue } from '../schemas/topics.js';
import { parkedKindHeader } from '../services/dispatcher/parking/parked-record.js';
import { decodeRetryTicket } from '../services/dispatcher/retry/retry-ticket.js';

/**
 * What `bench:drain` checks and measures in Kafka after a run: every deliveries offset
 * parked exactly once (in the head's ticket or in `webhook.parked`), the marker times, and
 * the bytes each topic's partition takes on the stack's disk.
 */
export async function highWatermark(admin: Admin, topic: string, partition: number): Promise<bigint> {
  return BigInt((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition)?.high ?? '0');
}

/** Reads one partition from its start up to `end` (exclusive) with a throwaway group. */
export async function readPartition(kafka: Kafka, topic: string, partition: number, end: bigint, groups: string[], each: (m: KafkaMessage) => void): Promise<void> {
  if (end <= 0n) return;
  const groupId = `${topic}.bench-read-${randomBytes(3).toString('hex')}`;
  groups.push(groupId);
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1_048_576, maxBytes: 16 * 1_048_576 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic}[${partition}] timed out`)), 300_000);
      consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (batch.partition !== partition) return;
          for (const m of batch.messages) {
            const offset = BigInt(m.offset);
            if (offset >= end) break;
            each(m);
            if (offset === end - 1n) {
              clearTimeout(timer);
              resolve();
            }
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

/** Bytes of a partition's log segments on the broker's disk (`.log` files; indexes are preallocated), or null. */
function logBytes(kafkaDataDir: string, topic: string, partition: number): number | null {
  const dir = join(kafkaDataDir, `${topic}-${partition}`);
  if (!existsSync(dir)) return null;
  return readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** On-disk bytes of the subscription's partition of webhook.parked, webhook.deliveries and the retry lanes (summed), and the tickets written. */
export async function measureBytes(admin: Admin, topics: TopicCatalogue, partition: number, kafkaDataDir: string): Promise<{ bytes: Map<string, number | null>; tickets: number }> {
  const bytes = new Map<string, number | null>();
  for (const id of ['webhook.parked', 'webhook.deliveries']) bytes.set(id, logBytes(kafkaDataDir, topics.get(id).name, partition));
  let tickets = 0;
  let laneBytes = 0;
  for (const t of retryTiers) {
    tickets += Number(await highWatermark(admin, topics.get(t.topic).name, partition));
    laneBytes += logBytes(kafkaDataDir, topics.get(t.topic).name, partition) ?? 0;
  }
  bytes.set('lanes', laneBytes);
  return { bytes, tickets };
}

export interface ParkedAudit { kinds: Map<string, number>; items: number; duplicates: number; missing: number; recordBytes: number; beginMs: number; lastItemMs: number; recoveredMs: number; drainedMs: number; headItems: number }

/** Every deliveries offset 0..N-1 must be in the head (the ticket) or in webhook.parked, exactly once. */
export async function auditParked(kafka: Kafka, admin: Admin, topics: TopicCatalogue, partition: number, groups: string[], itemCount: number): Promise<ParkedAudit> {
  const seen = new Uint8Array(itemCount);
  const bump = (offset: number): void => {
    seen[offset] = (seen[offset] ?? 0) + 1;
  };
  const a: ParkedAudit = { kinds: new Map(), items: 0, duplicates: 0, missing: 0, recordBytes: 0, beginMs: 0, lastItemMs: 0, recoveredMs: 0, drainedMs: 0, headItems: 0 };
  const lane = topics.get(retryTiers[0]?.topic ?? '').name;
  await readPartition(kafka, lane, partition, 1n, groups, (m) => {
    const decoded = decodeRetryTicket(m.value);
    if (decoded.kind !== 'ticket') throw new Error(`unreadable first ticket: ${decoded.reason}`);
    for (const i of decoded.ticket.items) bump(Number(i.deliveriesOffset));
    a.headItems = decoded.ticket.items.length;
  });
  const parked = topics.get('webhook.parked').name;
  await readPartition(kafka, parked, partition, await highWatermark(admin, parked, partition), groups, (m) => {
    const kind = m.headers?.[parkedKindHeader]?.toString() ?? '?';
    const ts = Number(m.timestamp);
    a.kinds.set(kind, (a.kinds.get(kind) ?? 0) + 1);
    a.recordBytes += (m.key?.length ?? 0) + (m.value?.length ?? 0) + Object.entries(m.headers ?? {}).reduce((n, [k, v]) => n + k.length + (v?.length ?? 0), 0);
    if (kind === 'begin' && a.beginMs === 0) a.beginMs = ts;
    if (kind === 'recovered') a.recoveredMs = ts;
    if (kind === 'drained') a.drainedMs = ts;
    if (kind !== 'item') return;
    a.items++;
    a.lastItemMs = ts;
    const offset = Number(m.headers?.['fleethook-deliveries-offset']?.toString() ?? -1);
    if (offset < 0 || offset >= itemCount) a.duplicates++;
    else bump(offset);
  });
  for (const n of seen) {
    if (n === 0) a.missing++;
    else if (n > 1) a.duplicates += n - 1;
  }
  return a;
}
