import avro from 'avsc';
import type { Type } from 'avsc';
import type { TopicCatalogue } from '../../../schemas/topics.js';
import { loadAvroSchema } from '../avro-schema-files.js';
import { BoundedCache } from '../bounded-cache.js';
import { errorMessage } from '../errors.js';
import type { SchemaRegistryClient } from '../schema-registry-client.js';

/** The three telemetry record kinds, by the catalogue topic that carries them. */
export type TelemetryKind = 'gps' | 'dtc' | 'event';
const telemetryTopics: Readonly<Record<TelemetryKind, string>> = { gps: 'telemetry.gps', dtc: 'telemetry.dtc', event: 'telemetry.events' };

export type DecodeResult = { readonly kind: 'decoded'; readonly value: unknown } | { readonly kind: 'poison'; readonly reason: string };

const wireHeaderBytes = 5;

interface Resolved {
  readonly reader: Type;
  readonly resolver: ReturnType<Type['createResolver']> | null;
  readonly problem: string | null;
}

/**
 * Decodes Confluent-framed Avro values into the reader's own view of each record
 * (the reader schemas in `schemas/`): the writer schema comes from the registry (bounded
 * cache, see `SchemaRegistryClient.writerSchema`) and Avro schema resolution maps it onto
 * the reader, so a field added by a newer producer is not passed on unvalidated and a
 * writer schema of another record type is refused. A value that can never decode (bad
 * framing, unknown schema id, unresolvable or corrupt body) is `poison`; a registry that
 * cannot be reached throws a retriable error instead, so nothing is dead-lettered
 * because of an outage.
 */
export class TelemetryDecoder {
  private readonly readers = new Map<TelemetryKind, Type>();
  /** Per kind and writer schema id; bounded like the registry client's cache. */
  private readonly resolved = new BoundedCache<string, Resolved>(1_000);

  constructor(private readonly registry: SchemaRegistryClient, topics: TopicCatalogue) {
    for (const [kind, id] of Object.entries(telemetryTopics) as [TelemetryKind, string][]) {
      const value = topics.get(id).value;
      if (value.format === 'avro') this.readers.set(kind, avro.Type.forSchema(loadAvroSchema(value.schemaFile) as avro.Schema));
    }
  }

  async decode(kind: TelemetryKind, value: Buffer | null): Promise<DecodeResult> {
    return (await this.decodeAll(kind, [value]))[0] as DecodeResult;
  }

  /**
   * Decodes a fetched batch in order. The registry is asked once per run of records with
   * the same schema id (almost always one per batch), not once per record: a batch
   * decodes without an await per record.
   */
  async decodeAll(kind: TelemetryKind, values: readonly (Buffer | null)[]): Promise<DecodeResult[]> {
    const out: DecodeResult[] = new Array<DecodeResult>(values.length);
    let lastId = -1;
    let last: Resolved | null = null;
    for (let i = 0; i < values.length; i++) {
      const value = values[i] ?? null;
      const framing = framingProblem(value);
      if (framing !== null || value === null) {
        out[i] = { kind: 'poison', reason: framing ?? 'null value' };
        continue;
      }
      const schemaId = value.readInt32BE(1);
      if (last === null || schemaId !== lastId) {
        const lookup = await this.registry.writerSchema(schemaId);
        if (lookup.kind === 'unknown') {
          out[i] = { kind: 'poison', reason: `schema id ${schemaId} is not in the registry` };
          last = null;
          continue;
        }
        last = this.resolve(kind, schemaId, lookup.type);
        lastId = schemaId;
      }
      out[i] = decodeBody(last, kind, schemaId, value);
    }
    return out;
  }

  private resolve(kind: TelemetryKind, schemaId: number, writer: Type): Resolved {
    const key = `${kind}:${schemaId}`;
    let r = this.resolved.get(key);
    if (r === undefined) {
      const reader = this.readers.get(kind);
      if (reader === undefined) throw new Error(`no reader schema for ${kind}`);
      try {
        r = { reader, resolver: reader.createResolver(writer), problem: null };
      } catch (err) {
        r = { reader, resolver: null, problem: errorMessage(err) };
      }
      this.resolved.set(key, r);
    }
    return r;
  }
}

function framingProblem(value: Buffer | null): string | null {
  if (value === null) return 'null value (tombstone) on a telemetry topic';
  if (value.length < wireHeaderBytes) return `value of ${value.length} bytes is shorter than the Confluent header`;
  if (value.readUInt8(0) !== 0) return `magic byte ${value.readUInt8(0)}, expected 0 (not Confluent wire format)`;
  return null;
}

function decodeBody(r: Resolved, kind: TelemetryKind, schemaId: number, value: Buffer): DecodeResult {
  if (r.problem !== null || r.resolver === null) return { kind: 'poison', reason: `writer schema ${schemaId} cannot be read as a ${kind} record: ${r.problem ?? 'unresolvable'}` };
  try {
    return { kind: 'decoded', value: r.reader.fromBuffer(value.subarray(wireHeaderBytes), r.resolver) };
  } catch (err) {
    return { kind: 'poison', reason: `Avro body does not decode with schema ${schemaId}: ${errorMessage(err)}` };
  }
}
