import { Kafka, logLevel } from 'kafkajs';

/**
 * Creates the internal topics a fresh broker only makes on first use (__consumer_offsets via
 * a group lookup, __transaction_state via an idempotent producer id), so the first test or
 * service does not meet "coordinator is loading" errors.
 */
export async function warmUpKafka(brokers: readonly string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'fleethook-stack-warm-up',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await admin.describeGroups(['fleethook-stack-warm-up']);
    await producer.connect();
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
