import type { RecordProducer } from '../kafka/kafka-port.js';
import { FleethookError } from '../errors.js';
import { encodeLandmarkRecord } from './landmark-record-codec.js';
import type { Landmark } from './landmark-types.js';

export interface WrittenPosition {
  readonly partition: number;
  readonly offset: number;
}

/** Writes landmark changes: keyed by id, acks=all on the idempotent producer of the Kafka port. */
export class LandmarkWriter {
  constructor(
    private readonly producer: RecordProducer,
    private readonly topic: string,
  ) {}

  put(landmark: Landmark): Promise<WrittenPosition> {
    return this.send(landmark.id, encodeLandmarkRecord(landmark));
  }

  delete(id: string): Promise<WrittenPosition> {
    return this.send(id, null);
  }

  private async send(key: string, value: Buffer | null): Promise<WrittenPosition> {
    const [meta] = await this.producer.send(this.topic, [{ key, value }]);
    if (!meta || meta.baseOffset === undefined) throw new FleethookError('LANDMARK_WRITE_FAILED', `no offset returned for ${key}`, { retriable: true });
    return { partition: meta.partition, offset: Number(meta.baseOffset) };
  }
}
