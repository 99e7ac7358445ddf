import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { avroType, SCHEMAS_DIR } from './schemas.js';

/*
 * The hold schema evolves with defaults: the order system's reader, written against version 1
 * (schemas/history/hold-v1.avsc), must decode what the desk writes with version 2, and a
 * version-2 reader must decode the alerter's version-1 records (Avro schema resolution, as a
 * consumer does with the writer's schema from the registry).
 */
const v1 = avro.Type.forSchema(JSON.parse(readFileSync(path.join(SCHEMAS_DIR, 'history/hold-v1.avsc'), 'utf8')) as avro.Schema);
const v2 = avroType('hold');
const HOLD = { holdId: 'h-1', accountId: 'ACC-1', findingId: 'f-1', at: 1_764_566_000_000, mode: 'enforce', reason: 'hijacked pump buy' };

test('a version-1 reader decodes a version-2 release record: the hold it already knows (same holdId), the new fields skipped', () => {
  const release = { ...HOLD, state: 'released', changeId: 'c-9', changedAt: 1_764_570_000_000, changedBy: 'ana', changeReason: 'customer verified in branch', approvedBy: 'sue' };
  const bytes = v2.toBuffer(release);
  const read = v1.fromBuffer(bytes, v1.createResolver(v2)) as Record<string, unknown>;
  assert.deepEqual({ ...read }, HOLD);
  // without resolution the bytes are not a version-1 record: the test above is what makes it work
  assert.throws(() => v1.fromBuffer(bytes));
});

test('a version-2 reader decodes a version-1 hold as active, with no change fields', () => {
  const read = v2.fromBuffer(v1.toBuffer(HOLD), v2.createResolver(v1)) as Record<string, unknown>;
  assert.deepEqual({ ...read }, { ...HOLD, state: 'active', changeId: null, changedAt: null, changedBy: null, changeReason: null, approvedBy: null });
});

test('the alerter\'s hold, written without the change fields, is an active hold in version 2', () => {
  const read = v2.fromBuffer(v2.toBuffer(HOLD)) as Record<string, unknown>;
  assert.equal(read.state, 'active');
  assert.equal(read.changedBy, null);
});

test('every field version 2 added has a default (what keeps a version-1 reader working), and version 1 is its prefix', () => {
  const fields1 = (v1.schema() as { fields: { name: string }[] }).fields.map((f) => f.name);
  const json2 = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, 'hold.avsc'), 'utf8')) as { fields: { name: string; default?: unknown }[] };
  assert.deepEqual(json2.fields.slice(0, fields1.length).map((f) => f.name), fields1);
  for (const f of json2.fields.slice(fields1.length)) assert.ok('default' in f, `${f.name} has a default`);
});
