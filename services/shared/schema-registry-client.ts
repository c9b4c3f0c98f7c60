import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Type } from 'avsc';
import { BoundedCache } from './bounded-cache.js';
import { FleethookError } from './errors.js';

/** A writer schema looked up by id: found (parsed), or not in the registry. */
export type WriterSchemaLookup = { readonly kind: 'found'; readonly type: Type } | { readonly kind: 'unknown' };

export interface SchemaCacheOptions {
  /** Writer schemas kept (least recently used evicted); default 1,000. */
  readonly maxSchemas?: number;
  /** Ids the registry did not know, remembered (bounded) for this long; default 60 s. */
  readonly unknownTtlMs?: number;
  readonly maxUnknown?: number;
}

/** An encoder bound to one registered schema: Confluent wire format, synchronous. */
export interface AvroEncoder<T> {
  readonly subject: string;
  readonly schemaId: number;
  /** Magic byte 0, the 4-byte big-endian schema id, then the Avro binary body. */
  encode(value: T): Buffer;
  /**
   * Encodes many values into shared slabs; each result is a view of a slab. Saves two
   * allocations and a copy per record; fine for Kafka clients, which copy values into
   * their request buffers.
   */
  encodeMany(values: readonly T[]): Buffer[];
}

const slabBytes = 64 * 1_024;

const wireHeaderBytes = 5;

/**
 * The one way fleethook talks to the Confluent-compatible schema registry (Apicurio's
 * ccompat API locally). Producers get a synchronous encoder per subject: the schema id
 * is resolved once and every record is encoded by avsc directly, instead of an async
 * registry round-trip per record. Consumers decode through the registry's cache.
 */
export class SchemaRegistryClient {
  readonly registry: SchemaRegistry;
  private readonly url: string;
  private readonly schemas: BoundedCache<number, Type>;
  private readonly unknown: BoundedCache<number, true>;
  private readonly unknownTtlMs: number;
  private readonly inFlight = new Map<number, Promise<WriterSchemaLookup>>();

  constructor(options: { url: string; clientId?: string; cache?: SchemaCacheOptions }) {
    this.registry = new SchemaRegistry({ host: options.url, clientId: options.clientId ?? 'fleethook' });
    this.url = options.url.replace(/\/+$/, '');
    this.schemas = new BoundedCache(options.cache?.maxSchemas ?? 1_000);
    this.unknown = new BoundedCache(options.cache?.maxUnknown ?? 10_000);
    this.unknownTtlMs = options.cache?.unknownTtlMs ?? 60_000;
  }

  /**
   * The writer schema of `schemaId`, for consumers. Both caches are bounded: ids come from
   * record bytes, so a stream of corrupt records must not grow memory, and an id the
   * registry did not know is asked again after `unknownTtlMs` (it may have been registered
   * since). Concurrent lookups of one id share a request. An unreachable registry (or any
   * answer but 200/404) throws a retriable `SCHEMA_REGISTRY` error: never "unknown".
   */
  async writerSchema(schemaId: number): Promise<WriterSchemaLookup> {
    const type = this.schemas.get(schemaId);
    if (type !== undefined) return { kind: 'found', type };
    if (this.unknown.get(schemaId) === true) return { kind: 'unknown' };
    let pending = this.inFlight.get(schemaId);
    if (pending === undefined) {
      pending = this.fetchWriterSchema(schemaId).finally(() => this.inFlight.delete(schemaId));
      this.inFlight.set(schemaId, pending);
    }
    return pending;
  }

  private async fetchWriterSchema(schemaId: number): Promise<WriterSchemaLookup> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/schemas/ids/${schemaId}`, { headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json' }, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw registryError(`could not fetch schema ${schemaId}`, err);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      this.unknown.set(schemaId, true, this.unknownTtlMs);
      return { kind: 'unknown' };
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new FleethookError('SCHEMA_REGISTRY', `could not fetch schema ${schemaId}: HTTP ${res.status}`, { retriable: true });
    }
    const body = (await res.json()) as { schema?: unknown; schemaType?: unknown };
    if (typeof body.schema !== 'string' || (body.schemaType !== undefined && body.schemaType !== 'AVRO')) {
      // Not an Avro schema: records framed with this id can never decode here.
      this.unknown.set(schemaId, true, this.unknownTtlMs);
      return { kind: 'unknown' };
    }
    let type: Type;
    try {
      type = avro.Type.forSchema(JSON.parse(body.schema) as avro.Schema);
    } catch {
      this.unknown.set(schemaId, true, this.unknownTtlMs);
      return { kind: 'unknown' };
    }
    this.schemas.set(schemaId, type);
    return { kind: 'found', type };
  }

  /** Registers (or finds) `schema` under `subject`; the registry enforces compatibility. */
  async register(subject: string, schema: object): Promise<number> {
    try {
      const { id } = await this.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject },
      );
      return id;
    } catch (err) {
      throw registryError(`could not register schema under subject ${subject}`, err);
    }
  }

  /** The id of `schema` already registered under `subject`; fails if it is not registered. */
  async lookup(subject: string, schema: object): Promise<number> {
    try {
      return await this.registry.getRegistryIdBySchema(subject, {
        type: SchemaType.AVRO,
        schema: JSON.stringify(schema),
      });
    } catch (err) {
      throw registryError(`schema is not registered under subject ${subject}`, err);
    }
  }

  async encoderFor<T>(subject: string, schema: object, options: { autoRegister: boolean }): Promise<AvroEncoder<T>> {
    const schemaId = options.autoRegister ? await this.register(subject, schema) : await this.lookup(subject, schema);
    const type = (await this.registry.getSchema(schemaId)) as unknown as Type;
    return {
      subject,
      schemaId,
      encodeMany: (values) => encodeIntoSlabs(type, schemaId, values),
      encode(value: T): Buffer {
        const body = type.toBuffer(value);
        const out = Buffer.allocUnsafe(wireHeaderBytes + body.length);
        out.writeUInt8(0, 0);
        out.writeInt32BE(schemaId, 1);
        body.copy(out, wireHeaderBytes);
        return out;
      },
    };
  }

  /** Decodes a Confluent-framed Avro value with its writer schema (fetched once per id). */
  async decode(value: Buffer): Promise<unknown> {
    const decoded: unknown = await this.registry.decode(value);
    return decoded;
  }
}

function encodeIntoSlabs(type: Type, schemaId: number, values: readonly unknown[]): Buffer[] {
  const out = new Array<Buffer>(values.length);
  let slab = Buffer.allocUnsafe(slabBytes);
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    let end = pos + wireHeaderBytes <= slab.length ? type.encode(values[i], slab, pos + wireHeaderBytes) : -1;
    if (end < 0) {
      // Not enough room left: start a new slab big enough for this record (avsc says how short it was).
      const needed = wireHeaderBytes + type.toBuffer(values[i]).length;
      slab = Buffer.allocUnsafe(Math.max(slabBytes, needed));
      pos = 0;
      end = type.encode(values[i], slab, wireHeaderBytes);
    }
    slab.writeUInt8(0, pos);
    slab.writeInt32BE(schemaId, pos + 1);
    out[i] = slab.subarray(pos, end);
    pos = end;
  }
  return out;
}

function registryError(message: string, cause: unknown): FleethookError {
  const status = (cause as { status?: unknown } | null)?.status;
  const retriable = typeof status !== 'number' || status >= 500;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new FleethookError('SCHEMA_REGISTRY', `${message}: ${detail}`, { retriable, cause });
}
