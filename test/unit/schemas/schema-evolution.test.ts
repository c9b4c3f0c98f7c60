import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';

// Every field added after v1 must be optional so that new readers can read old records
// (BACKWARD). The registry enforces this too; this catches it before a deploy.
const files = ['gps-point.avsc', 'dtc.avsc', 'vehicle-event.avsc'];
const load = (f: string): { fields: { name: string; type: unknown; default?: unknown }[] } =>
  JSON.parse(readFileSync(new URL(`../../../schemas/${f}`, import.meta.url), 'utf8')) as never;

describe('telemetry schemas', () => {
  for (const f of files) {
    it(`${f}: optional fields are unions with null first and default null`, () => {
      for (const field of load(f).fields) {
        if (!Array.isArray(field.type)) continue;
        expect(field.type[0], field.name).toBe('null');
        expect(field.default, field.name).toBeNull();
      }
    });

    it(`${f}: has an optional per-vehicle seq`, () => {
      expect(load(f).fields.find((x) => x.name === 'seq')).toMatchObject({ type: ['null', 'long'], default: null });
    });

    it(`${f}: a reader on this schema reads a record written without the optional fields`, () => {
      const schema = load(f);
      const required = { ...schema, fields: schema.fields.filter((x) => !Array.isArray(x.type)) };
      const writer = avsc.Type.forSchema(required as avsc.Schema);
      const reader = avsc.Type.forSchema(schema as avsc.Schema);
      expect(() => reader.createResolver(writer)).not.toThrow();
    });
  }
});
