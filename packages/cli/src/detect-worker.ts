/**
 * One shard of `kanshi detect --workers`: a worker thread that parses, validates and runs stage 1
 * for the accounts routed to it, and hands back what stage 1 made (rare) and how far it has got.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseEventLine, RejectedEvent, validateAccount, validateInstrument, type AccountSnapshot, type Instrument } from '@kanshi/contract';
import { AccountShard, ListBook, ReferenceData, resolveEngineOptions, shardOf, type StepRecord } from '@kanshi/detection';
import { readReference } from './detect.js';
import type { ShardInit, ShardReply, ShardRequest } from './detect-shards.js';

const init = workerData as ShardInit;
const port = parentPort!;
// the main thread reports the reference files' rejections
const skip = async () => undefined;
const instruments = await readReference<Instrument>(init.instruments, validateInstrument, skip);
const accounts = (await readReference<AccountSnapshot>(init.accounts, validateAccount, skip)).filter((a) => shardOf(a.accountId, init.shards) === init.shard);
const ref = new ReferenceData(instruments, accounts);
ref.lists = new ListBook(init.lists);
const knownSymbol = (s: string) => ref.hasInstrument(s);
const engine = resolveEngineOptions(init.engine);
const shard = new AccountShard(ref, engine.detection, engine.maxLatenessMs);
let valid = 0;

port.on('message', (m: ShardRequest) => {
  const records: StepRecord[] = [];
  if (m.kind === 'end') {
    shard.drain(records);
    const reply: ShardReply = {
      kind: 'drained', records, watermark: shard.watermark,
      stats: { valid, events: shard.events, duplicates: shard.duplicates, late: shard.late, accounts: shard.accounts },
    };
    port.postMessage(reply);
    return;
  }
  const reply: ShardReply & { kind: 'lines' } = { kind: 'lines', records, watermark: 0, rejects: [] };
  for (let i = 0; i < m.lines.length; i++) {
    const ev = parseEventLine(m.lines[i], { knownSymbol });
    if (ev instanceof RejectedEvent) {
      reply.rejects.push({ i, reason: ev.reason, field: ev.field, eventId: ev.eventId, code: ev.code });
      continue;
    }
    // the router's scan is trusted only where it cannot differ from the parse: a bug otherwise
    if (shardOf(ev.accountId, init.shards) !== init.shard) throw new Error(`event ${ev.eventId} of account ${ev.accountId} was routed to the wrong worker`);
    valid++;
    shard.push(ev, records);
  }
  reply.watermark = shard.watermark;
  port.postMessage(reply);
});
port.postMessage({ kind: 'ready' } satisfies ShardReply);
