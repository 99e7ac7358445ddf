import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { STORE_CONFORMANCE } from './conformance.js';
import { openStore } from './store.js';

// One chdb session per process (the engine is a singleton); a database per case keeps them apart.
const dir = mkdtempSync(path.join(os.tmpdir(), 'kanshi-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

STORE_CONFORMANCE.forEach((c, i) => {
  test(`embedded chdb: ${c.name}`, async () => {
    const store = await openStore({ embedded: dir, database: `conf_${i}` });
    try {
      await c.run(store);
    } finally {
      await store.close();
    }
  });
});
