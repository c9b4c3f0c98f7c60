import { Redis } from 'ioredis';
import { stackEnv } from './stack-env.js';

/**
 * Deletes every key under a test's own Redis prefix, as a FLUSHALL would for that test: the
 * stack's Redis serves other test files in parallel, so no literal FLUSHALL. Returns how
 * many keys went.
 */
export async function wipeRedis(prefix: string): Promise<number> {
  const redis = new Redis(stackEnv.redisUrl);
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
