import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

/** True when the brokers serve metadata and at least `minBrokers` of them are registered. */
export async function kafkaAnswers(brokers: readonly string[], minBrokers = 1): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'fleethook-stack-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length >= minBrokers && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** True when GET `<ccompatUrl>/subjects` is 200. */
export async function registryAnswers(ccompatUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${ccompatUrl}/subjects`, { signal: AbortSignal.timeout(3_000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** True when PING gets PONG. */
export async function redisAnswers(host: string, port: number): Promise<boolean> {
  const redis = new Redis({
    host,
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
