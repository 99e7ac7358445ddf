import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { registerCompressionCodecs, snappyDecompress } from './codecs.js';

const require = createRequire(import.meta.url);
const snappy = require('snappyjs') as { compress(b: Uint8Array): Uint8Array };

// records-like bytes: repetitive, as a batch of one topic's records is
const records = Buffer.from(Array.from({ length: 400 }, (_, i) => `{"eventId":"e${i}","accountId":"acc-${i % 7}"}`).join(''));

test('snappy, lz4 and zstd batches round-trip through kafkajs\'s codec table once registered, gzip as before', async () => {
  registerCompressionCodecs();
  registerCompressionCodecs();
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  for (const type of [CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD] as const) {
    const codec = CompressionCodecs[type]() as { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
    const packed = await codec.compress({ buffer: records });
    assert.ok(packed.length < records.length / 2, `codec ${type} compresses (${packed.length} of ${records.length} bytes)`);
    assert.deepEqual(await codec.decompress(packed), records, `codec ${type} gives the bytes back`);
  }
});

test('snappy-java\'s framed stream (the Java client) and raw snappy (librdkafka) both decompress', () => {
  const half = records.length >> 1;
  const blocks = [records.subarray(0, half), records.subarray(half)].map((b) => Buffer.from(snappy.compress(b)));
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const framed = Buffer.concat([header, ...blocks.flatMap((b) => { const n = Buffer.alloc(4); n.writeUInt32BE(b.length); return [n, b]; })]);
  assert.deepEqual(snappyDecompress(framed), records);
  assert.deepEqual(snappyDecompress(Buffer.from(snappy.compress(records))), records);
  assert.throws(() => snappyDecompress(framed.subarray(0, framed.length - 3)), /runs past the end/);
});
