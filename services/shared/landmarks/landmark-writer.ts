import type { Producer } from 'kafkajs';
import { FleethookError } from '../errors.js';
import { acksAll } from '../kafka-client.js';
import { encodeLandmarkRecord } from './landmark-record-codec.js';
import type { Landmark } from './landmark-types.js';

export interface WrittenPosition {
  readonly partition: number;
  readonly offset: number;
}

/** Writes landmark changes: keyed by id, acks=all on an idempotent producer. */
export class LandmarkWriter {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  put(landmark: Landmark): Promise<WrittenPosition> {
    return this.send(landmark.id, encodeLandmarkRecord(landmark));
  }

  delete(id: string): Promise<WrittenPosition> {
    return this.send(id, null);
  }

  private async send(key: string, value: Buffer | null): Promise<WrittenPosition> {
    const [meta] = await this.producer.send({ topic: this.topic, acks: acksAll, messages: [{ key, value }] });
    if (!meta || meta.baseOffset === undefined) throw new FleethookError('LANDMARK_WRITE_FAILED', `no offset returned for ${key}`, { retriable: true });
    return { partition: meta.partition, offset: Number(meta.baseOffset) };
  }
}
