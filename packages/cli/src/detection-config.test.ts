import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '@kanshi/runtime';
import { detectFiles, detectFilesWith, detectionConfigFile } from './lab.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kanshi-detection-config-'));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

test('--detection-config: a JSON object of overrides is read and validated; a bad path is a usage error naming it', () => {
  assert.equal(detectionConfigFile(undefined), undefined);
  assert.deepEqual(detectionConfigFile(file('ok.json', '{"weights":{"login":{"newDevice":0.4}},"campaignMinAccounts":4}')),
    { weights: { login: { newDevice: 0.4 } }, campaignMinAccounts: 4 });
  const usage = (f: string, m: RegExp) => assert.throws(() => detectionConfigFile(f), (e: unknown) => e instanceof UsageError && m.test(e.message));
  usage(file('typo.json', '{"weights":{"login":{"newDevise":0.4}}}'), /weights\.login\.newDevise: is not an option/);
  usage(file('share.json', '{"weights":{"incident":{"thinBuyBar":3}}}'), /weights\.incident\.thinBuyBar: is a share/);
  usage(file('list.json', '[1]'), /must be a JSON object/);
  usage(file('broken.json', '{"weights":'), /invalid JSON/);
  usage(path.join(dir, 'missing.json'), /cannot be read \(ENOENT\)/);
  assert.equal(detectFilesWith(undefined), detectFiles, 'no overrides: kanshi detect itself');
});
