#!/usr/bin/env node
// `npm test`: build, start what the integration tests need (given endpoints, containers when a
// Docker engine answers, or the project's own local Kafka/registry/ClickHouse), then run every
// test file in one node:test run so its summary is the verdict.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const unitOnly = process.argv.includes('--unit');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function findTests(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.js')) out.push(path.relative(root, p));
  }
  return out.sort();
}

console.log('› building (tsc -b)');
// tsc straight from node_modules: npx would add its own warnings and a registry lookup
if (run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b']) !== 0) {
  console.error('build failed: fix the type errors above');
  process.exit(1);
}

const files = [];
for (const group of ['packages', 'services']) {
  for (const pkg of readdirSync(path.join(root, group)).sort()) files.push(...findTests(path.join(root, group, pkg, 'dist')));
}

const env = { ...process.env };
const serial = [];
if (!unitOnly) {
  const harness = path.join(root, 'build/test/integration/harness.js');
  if (existsSync(harness)) {
    console.log('› starting integration services (see infra/local/ and test/integration/harness.ts)');
    const started = Date.now();
    const { integrationEndpoints, pruneOldTestNamespaces } = await import(pathToFileURL(harness).href);
    const ep = await integrationEndpoints();
    const pruned = await pruneOldTestNamespaces(ep);
    if (pruned.topics || pruned.databases || pruned.problems.length) {
      console.log(`› removed what earlier runs left: ${pruned.topics} topics, ${pruned.databases} databases${pruned.problems.length ? `; not all: ${pruned.problems.join('; ')}` : ''}`);
    }
    env.KAFKA_BROKERS = ep.kafkaBrokers.join(',');
    env.SCHEMA_REGISTRY_URL = ep.schemaRegistryUrl;
    env.CLICKHOUSE_URL = ep.clickhouseUrl;
    console.log(`› services ready in ${((Date.now() - started) / 1000).toFixed(0)} s: kafka ${env.KAFKA_BROKERS}, registry ${env.SCHEMA_REGISTRY_URL}, clickhouse ${env.CLICKHOUSE_URL}`);
  }
  // the outage tests stop the shared broker and ClickHouse: they run alone, after the rest
  const all = findTests(path.join(root, 'build/test'));
  files.push(...all.filter((f) => !f.includes(`${path.sep}outage${path.sep}`)));
  serial.push(...all.filter((f) => f.includes(`${path.sep}outage${path.sep}`)));
}

mkdirSync(path.join(root, 'build'), { recursive: true });
const stages = [{ name: 'tests', files }, ...(serial.length ? [{ name: 'outage tests (alone: they stop Kafka and ClickHouse)', files: serial }] : [])];
let status = 0;
let text = '';
for (const [i, stage] of stages.entries()) {
  console.log(`› running ${stage.files.length} test files: ${stage.name}`);
  const tap = path.join(root, `build/test-results-${i}.tap`);
  const s = run(process.execPath, [
    '--test', '--test-timeout=900000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...stage.files,
  ], { env });
  status ||= s;
  text += existsSync(tap) ? readFileSync(tap, 'utf8') : '';
}
// CI logs are often read from the tail: name what failed, and why, right above the verdict
const failures = failedTests(text);
if (failures.length) {
  console.log(`\nfailed (${failures.length}):`);
  for (const f of failures) console.log(`  ✖ ${f.name}${f.location ? ` (${f.location})` : ''}\n      ${f.error.join('\n      ')}`);
}
// one plain closing line, whatever reporter a reader's tooling understands
const count = (k) => [...text.matchAll(new RegExp(`^# ${k} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
console.log(`\ntests: ${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped')} skipped`);
process.exit(status);

/** The failing tests of a TAP text, innermost first-hand failures only: a parent that failed because a subtest did adds nothing. */
function failedTests(tap) {
  const lines = tap.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!m) continue;
    const indent = m[1] + '  ';
    const block = [];
    for (let j = i + 1; j < lines.length && lines[j].startsWith(indent) && lines[j].trim() !== '...'; j++) block.push(lines[j].slice(indent.length));
    const field = (k) => block.find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2);
    if (field('failureType') === "'subtestsFailed'") continue;
    const errAt = block.findIndex((l) => l.startsWith('error: '));
    let error = [];
    if (errAt >= 0) {
      const first = block[errAt].slice('error: '.length);
      if (first.startsWith('|')) {
        for (let j = errAt + 1; j < block.length && block[j].startsWith('  '); j++) if (block[j].trim()) error.push(block[j].trim());
      } else error.push(first.replace(/^'(.*)'$/, '$1'));
    }
    error = error.slice(0, 6);
    out.push({ name: m[2], location: field('location')?.replace(/^'(.*)'$/, '$1').replace(`${root}${path.sep}`, ''), error: error.length ? error : ['(no message)'] });
  }
  return out;
}
