import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import '../../../../services/shared/kafka/kafkajs-adapter.js';

const require = createRequire(import.meta.url);
const compression = require('kafkajs/src/protocol/message/compression/index.js') as {
  lookupCodec(type: number): { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> } | null;
};
const gzipType = 1;

describe('kafkajs gzip codec', () => {
  const body = Buffer.from(JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ vehicleId: `veh_${i % 40}`, seq: i, lat: 52 + i / 1000, lon: 4 + i / 997 }))));

  it('compresses at zlib level 1 once the adapter is loaded, and reads what it wrote', async () => {
    const codec = compression.lookupCodec(gzipType);
    expect(codec).not.toBeNull();
    const packed = await codec!.compress({ buffer: body });
    expect(packed.equals(gzipSync(body, { level: 1 }))).toBe(true);
    expect(packed.equals(gzipSync(body))).toBe(false);
    expect((await codec!.decompress(packed)).equals(body)).toBe(true);
  });

  it('reads batches other clients compressed at any level', async () => {
    const codec = compression.lookupCodec(gzipType)!;
    for (const level of [1, 6, 9]) expect((await codec.decompress(gzipSync(body, { level }))).equals(body)).toBe(true);
    expect(gunzipSync(await codec.compress({ buffer: Buffer.alloc(0) })).length).toBe(0);
  });
});
