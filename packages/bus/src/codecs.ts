/**
 * The compression codecs kafkajs lacks, registered once for the process: kafkajs reads gzip
 * itself and throws "… compression not implemented" for snappy, lz4 and zstd, the codecs that a
 * brokerage's Java or librdkafka producer commonly sets. All pure JS or WASM shipped inside the
 * npm package: nothing is built or downloaded at install time.
 *
 * Decompression is what matters (a consumer must read whatever a standard producer wrote);
 * compressing is there too, so tests and tools can write every codec from kafkajs.
 */
import kafkajs from 'kafkajs';
import { createRequire } from 'node:module';
import { decompress as zstdDecompress } from 'fzstd';

const require = createRequire(import.meta.url);
// CommonJS packages without types: the shapes used here, and nothing more
const snappy = require('snappyjs') as { compress(b: Uint8Array): Uint8Array; uncompress(b: Uint8Array): Uint8Array };
const lz4 = require('lz4js') as {
  decompress(b: Uint8Array): Uint8Array;
  compressBound(n: number): number;
  compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
};
const xxh32 = require('lz4js/xxh32.js') as { hash(seed: number, src: Uint8Array, index: number, length: number): number };
const zstdWasm = require('@bokuweb/zstd-wasm') as { init(): Promise<void>; compress(b: Uint8Array, level?: number): Uint8Array };

/** What kafkajs hands a codec to compress: its encoder, whose `buffer` is the records' bytes. */
interface Encoder {
  buffer: Buffer;
}

interface Codec {
  compress(encoder: Encoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** The Java client's snappy (snappy-java's stream format): a magic header, then length-prefixed blocks. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

/** Raw snappy (librdkafka, kafkajs) or snappy-java's framing (the Java client): both occur on one topic. */
export function snappyDecompress(buffer: Buffer): Buffer {
  if (buffer.length < XERIAL_HEADER_BYTES || !buffer.subarray(0, 8).equals(XERIAL_MAGIC)) {
    return Buffer.from(snappy.uncompress(buffer));
  }
  const blocks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new Error('snappy-java stream: a block length is cut off');
    const size = buffer.readUInt32BE(at);
    at += 4;
    if (at + size > buffer.length) throw new Error(`snappy-java stream: a ${size}-byte block runs past the end`);
    blocks.push(Buffer.from(snappy.uncompress(buffer.subarray(at, at + size))));
    at += size;
  }
  return Buffer.concat(blocks);
}

const LZ4_BLOCK_BYTES = 4 << 20;

/**
 * An LZ4 frame of independent blocks. lz4js's own frames leave the block-independence flag
 * unset, which the broker (like the Java client) refuses: "Dependent block stream is unsupported".
 */
export function lz4Compress(src: Buffer): Buffer {
  // magic, FLG (version 01, independent blocks), BD (4 MiB blocks), header checksum
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0]);
  header[6] = (xxh32.hash(0, header, 4, 2) >>> 8) & 0xff;
  const parts: Buffer[] = [header];
  for (let at = 0; at < src.length; at += LZ4_BLOCK_BYTES) {
    const block = src.subarray(at, Math.min(src.length, at + LZ4_BLOCK_BYTES));
    const out = Buffer.alloc(lz4.compressBound(block.length));
    const n = lz4.compressBlock(block, out, 0, block.length, new Uint32Array(1 << 16));
    const size = Buffer.alloc(4);
    if (n === 0 || n >= block.length) {
      size.writeUInt32LE((0x80000000 | block.length) >>> 0);
      parts.push(size, block);
    } else {
      size.writeUInt32LE(n);
      parts.push(size, out.subarray(0, n));
    }
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

let zstdReady: Promise<void> | null = null;

const SNAPPY: Codec = {
  async compress(e) { return Buffer.from(snappy.compress(e.buffer)); },
  async decompress(b) { return snappyDecompress(b); },
};
const LZ4: Codec = {
  // the LZ4 frame format, which Kafka has used since message format v1 (KIP-57)
  async compress(e) { return lz4Compress(e.buffer); },
  async decompress(b) { return Buffer.from(lz4.decompress(b)); },
};
const ZSTD: Codec = {
  async compress(e) {
    zstdReady ??= zstdWasm.init();
    await zstdReady;
    return Buffer.from(zstdWasm.compress(e.buffer, 3));
  },
  // fzstd reads streamed frames without a content size (the Java client's) and concatenated frames
  async decompress(b) { return Buffer.from(zstdDecompress(b)); },
};

let registered = false;

/**
 * Puts snappy, lz4 and zstd into kafkajs's codec table (gzip is built in). Idempotent; the
 * table is global to the kafkajs module, so once is enough for every client in the process.
 */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  CompressionCodecs[CompressionTypes.Snappy] = () => SNAPPY;
  CompressionCodecs[CompressionTypes.LZ4] = () => LZ4;
  CompressionCodecs[CompressionTypes.ZSTD] = () => ZSTD;
}
