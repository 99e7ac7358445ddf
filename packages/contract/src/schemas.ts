import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import avro from 'avsc';

/** The Avro schemas in `schemas/`, the wire format's source of truth. */
export const SCHEMA_NAMES = [
  'login',
  'order',
  'account_event',
  'instrument',
  'account',
  'finding',
  'alert',
  'hold',
  'list_entry',
] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

export const SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schemas');

const cache = new Map<SchemaName, { json: avro.Schema; type: avro.Type }>();

function load(name: SchemaName) {
  let hit = cache.get(name);
  if (!hit) {
    const json = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, `${name}.avsc`), 'utf8')) as avro.Schema;
    hit = { json, type: avro.Type.forSchema(json) };
    cache.set(name, hit);
  }
  return hit;
}

/** The schema as JSON text-ready object (what a registry stores). */
export function schemaJson(name: SchemaName): avro.Schema {
  return load(name).json;
}

/** The compiled avsc type; compile once, reuse per message. */
export function avroType(name: SchemaName): avro.Type {
  return load(name).type;
}

/** Top-level field names of a record schema, in schema order. */
export function schemaFieldNames(name: SchemaName): string[] {
  const json = load(name).json as { fields?: { name: string }[] };
  return (json.fields ?? []).map((f) => f.name);
}
