import type { OutgoingRecord, TopicRecords } from '../shared/kafka/kafka-port.js';

/**
 * Splits encoded messages into produce requests of at most `maxRequestBytes` of values
 * each, keeping each topic's messages in order. The client writes all of one partition's
 * messages in a request as one record batch, so an unbounded request can exceed the
 * broker's message.max.bytes (1 MiB by default) and fail for good; the client's grouping
 * by partition also costs time quadratic in the request size.
 */
export function splitIntoRequests(
  perTopic: readonly { topic: string; messages: readonly OutgoingRecord[] }[],
  maxRequestBytes: number,
): TopicRecords[][] {
  const requests: TopicRecords[][] = [];
  let current: TopicRecords[] = [];
  let currentBytes = 0;
  for (const { topic, messages } of perTopic) {
    let slice: OutgoingRecord[] = [];
    for (const message of messages) {
      const bytes = (message.value as Buffer | null)?.length ?? 0;
      if (currentBytes + bytes > maxRequestBytes && currentBytes > 0) {
        if (slice.length > 0) current.push({ topic, messages: slice });
        requests.push(current);
        current = [];
        slice = [];
        currentBytes = 0;
      }
      slice.push(message);
      currentBytes += bytes;
    }
    if (slice.length > 0) current.push({ topic, messages: slice });
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
