import { describe, expect, it } from 'vitest';
import { loadAvroSchema } from '../../services/shared/avro-schema-files.js';
import { FleethookError } from '../../services/shared/errors.js';
import { SchemaRegistryClient } from '../../services/shared/schema-registry-client.js';
import { stackEnv, uniqueName } from '../helpers/stack-env.js';

const registry = new SchemaRegistryClient({ url: stackEnv.registryUrl });
type AvroRecordSchema = { fields: Record<string, unknown>[] } & Record<string, unknown>;

describe('schema registry enforces BACKWARD compatibility', () => {
  it('accepts an optional field with a default and rejects a required field without one', async () => {
    const subject = `${uniqueName('it-registry')}-value`;
    const v1 = loadAvroSchema('gps-point.avsc') as AvroRecordSchema;
    const id1 = await registry.register(subject, v1);
    expect(await registry.register(subject, v1)).toBe(id1); // re-registering is harmless

    const incompatible = { ...v1, fields: [...v1.fields, { name: 'fuelLevelPercent', type: 'double' }] };
    const err: unknown = await registry.register(subject, incompatible).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FleethookError);
    expect((err as FleethookError).code).toBe('SCHEMA_REGISTRY');
    expect((err as FleethookError).message).toMatch(new RegExp(subject));

    const compatible = {
      ...v1,
      fields: [...v1.fields, { name: 'fuelLevelPercent', type: ['null', 'double'], default: null }],
    };
    const id2 = await registry.register(subject, compatible);
    expect(id2).not.toBe(id1);
  });

  it('accepts a new event type appended to the enum', async () => {
    const subject = `${uniqueName('it-registry-enum')}-value`;
    const v1 = loadAvroSchema('vehicle-event.avsc') as AvroRecordSchema;
    await registry.register(subject, v1);
    const fields = v1.fields.map((f) => {
      if (f.name !== 'type') return f;
      const type = f.type as { symbols: string[] } & Record<string, unknown>;
      return { ...f, type: { ...type, symbols: [...type.symbols, 'harsh_braking'] } };
    });
    await expect(registry.register(subject, { ...v1, fields })).resolves.toBeGreaterThan(0);
  });
});
