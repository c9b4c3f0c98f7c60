import type { Type } from 'avsc';
import { FleethookError, errorMessage } from '../shared/errors.js';
import type { SchemaRegistryClient } from '../shared/schema-registry-client.js';

export type DecodeResult = { readonly kind: 'decoded'; readonly value: unknown } | { readonly kind: 'poison'; readonly reason: string };

const wireHeaderBytes = 5;

/**
 * Decodes Confluent-framed Avro values. The writer schema is fetched from the registry
 * once per schema id and kept; decoding itself is synchronous avsc. A value that can
 * never decode (bad framing, unknown schema id, corrupt body) is `poison`; a registry
 * that cannot be reached throws a retriable error instead, so nothing is dead-lettered
 * because of an outage.
 */
export class TelemetryDecoder {
  private readonly types = new Map<number, Promise<Type | null>>();

  constructor(private readonly registry: SchemaRegistryClient) {}

  async decode(value: Buffer | null): Promise<DecodeResult> {
    if (value === null) return { kind: 'poison', reason: 'null value (tombstone) on a telemetry topic' };
    if (value.length < wireHeaderBytes) return { kind: 'poison', reason: `value of ${value.length} bytes is shorter than the Confluent header` };
    if (value.readUInt8(0) !== 0) return { kind: 'poison', reason: `magic byte ${value.readUInt8(0)}, expected 0 (not Confluent wire format)` };
    const schemaId = value.readInt32BE(1);
    const type = await this.typeFor(schemaId);
    if (type === null) return { kind: 'poison', reason: `schema id ${schemaId} is not in the registry` };
    try {
      return { kind: 'decoded', value: type.fromBuffer(value.subarray(wireHeaderBytes)) };
    } catch (err) {
      return { kind: 'poison', reason: `Avro body does not decode with schema ${schemaId}: ${errorMessage(err)}` };
    }
  }

  private typeFor(schemaId: number): Promise<Type | null> {
    let entry = this.types.get(schemaId);
    if (entry === undefined) {
      entry = this.fetch(schemaId);
      this.types.set(schemaId, entry);
      // A failed fetch (outage) must be retried next time, not cached.
      entry.catch(() => this.types.delete(schemaId));
    }
    return entry;
  }

  private async fetch(schemaId: number): Promise<Type | null> {
    try {
      return (await this.registry.registry.getSchema(schemaId)) as unknown as Type;
    } catch (err) {
      const status = (err as { status?: unknown } | null)?.status;
      if (status === 404) return null;
      throw new FleethookError('SCHEMA_REGISTRY', `could not fetch schema ${schemaId}: ${errorMessage(err)}`, { retriable: true, cause: err });
    }
  }
}
