#!/usr/bin/env node
// `npm test`: lint, build, start what the integration tests need (given endpoints, containers
// when a Docker engine answers, or the project's own local Kafka/registry/ClickHouse), then run
// the unit tests under coverage and the rest after them; one summary of all is the verdict.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkFloor, hasSource, withCoverage } from './coverage.mjs';

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

console.log('› linting (biome lint, biome.jsonc)');
// one line per finding here; `npm run lint` shows each with its code frame and the fix
if (run(process.execPath, [path.join(root, 'node_modules/@biomejs/biome/bin/biome'), 'lint', '--reporter=concise', '--colors=off']) !== 0) {
  console.error('lint failed: run `npm run lint` to see each error with its fix (biome.jsonc says which rules are off and why)');
  process.exit(1);
}

console.log('› building (tsc -b)');
// tsc straight from node_modules: npx would add its own warnings and a registry lookup
if (run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b']) !== 0) {
  console.error('build failed: fix the type errors above');
  process.exit(1);
}

const compiled = [];
for (const group of ['packages', 'services']) {
  for (const pkg of readdirSync(path.join(root, group)).sort()) compiled.push(...findTests(path.join(root, group, pkg, 'dist')));
}
// tsc -b leaves a moved or deleted test's .js in dist: it would test code that is no longer there
const unit = compiled.filter((f) => hasSource(root, f));
if (unit.length < compiled.length) {
  console.log(`› left out ${compiled.length - unit.length} compiled tests whose source is gone (delete that dist/ to drop them): ${compiled.filter((f) => !hasSource(root, f)).join(', ')}`);
}

const env = { ...process.env };
const integration = [];
const serial = [];
if (!unitOnly) {
  const harness = path.join(root, 'build/test/integration/harness.js');
  if (existsSync(harness)) {
    console.log('› starting integration services (see infra/local/ and test/integration/harness.ts)');
    const started = Date.now();
    const { integrationEndpoints, pruneOldTestNamespaces } = await import(pathToFileURL(harness).href);
    const ep = await integrationEndpoints();
    const pruned = await pruneOldTestNamespaces(ep);
    if (pruned.topics || pruned.databases || pruned.subjects || pruned.problems.length) {
      console.log(`› removed what earlier runs left: ${pruned.topics} topics, ${pruned.databases} databases, ${pruned.subjects} registry subjects${pruned.problems.length ? `; not all: ${pruned.problems.join('; ')}` : ''}`);
    }
    env.KAFKA_BROKERS = ep.kafkaBrokers.join(',');
    env.SCHEMA_REGISTRY_URL = ep.schemaRegistryUrl;
    env.CLICKHOUSE_URL = ep.clickhouseUrl;
    console.log(`› services ready in ${((Date.now() - started) / 1000).toFixed(0)} s: kafka ${env.KAFKA_BROKERS}, registry ${env.SCHEMA_REGISTRY_URL}, clickhouse ${env.CLICKHOUSE_URL}`);
  }
  // the outage tests stop the shared broker and ClickHouse: they run alone, after the rest
  const all = findTests(path.join(root, 'build/test'));
  integration.push(...all.filter((f) => !f.includes(`${path.sep}outage${path.sep}`)));
  serial.push(...all.filter((f) => f.includes(`${path.sep}outage${path.sep}`)));
}

mkdirSync(path.join(root, 'build'), { recursive: true });
// coverage is of the unit tests only: the integration tests' services keep their own timing
const stages = [
  { name: 'unit tests, with coverage (scripts/coverage.mjs)', files: unit, coverage: true },
  ...(integration.length ? [{ name: 'integration tests', files: integration }] : []),
  ...(serial.length ? [{ name: 'outage tests (alone: they stop Kafka and ClickHouse)', files: serial }] : []),
];
let status = 0;
let text = '';
let coverage;
for (const [i, stage] of stages.entries()) {
  console.log(`› running ${stage.files.length} test files: ${stage.name}`);
  const tap = path.join(root, `build/test-results-${i}.tap`);
  const test = [
    process.execPath, '--test', '--test-timeout=900000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...stage.files,
  ];
  status ||= stage.coverage ? run(process.execPath, withCoverage(root, test), { env }) : run(test[0], test.slice(1), { env });
  text += existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  if (stage.coverage) {
    coverage = checkFloor(root);
    if (!coverage.ok) status ||= 1;
  }
}
// CI logs are often read from the tail: name what failed, and why, right above the verdict
const failures = failedTests(text);
if (failures.length) {
  console.log(`\nfailed (${failures.length}):`);
  for (const f of failures) console.log(`  ✖ ${f.name}${f.location ? ` (${f.location})` : ''}\n      ${f.error.join('\n      ')}`);
}
if (coverage) console.log(`\n${coverage.lines.join('\n')}`);
// one plain closing line, whatever reporter a reader's tooling understands
const count = (k) => [...text.matchAll(new RegExp(`^# ${k} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
console.log(`\ntests: ${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped')} skipped`);
process.exit(status);

/**
 * The failing tests of a TAP text, each with its own reason: a parent that failed because of a
 * subtest, and a subtest cancelled because its parent timed out, add nothing; TODO and SKIP are
 * not failures. A file that died outside any test has its reason in the `# ` lines before it.
 */
function failedTests(tap) {
  const lines = tap.split('\n');
  const unquote = (v) => v.replace(/^(['"])(.*)\1$/, '$2');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!m || / # (TODO|SKIP)\b/.test(m[2])) continue;
    const indent = `${m[1]}  `;
    const block = [];
    for (let j = i + 1; j < lines.length && lines[j].startsWith(indent) && lines[j].trim() !== '...'; j++) block.push(lines[j].slice(indent.length));
    const field = (k) => block.find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2);
    if (["'subtestsFailed'", "'cancelledByParent'"].includes(field('failureType'))) continue;
    let error = [];
    const errAt = block.findIndex((l) => l.startsWith('error: '));
    if (errAt >= 0) {
      const first = block[errAt].slice('error: '.length);
      if (first.startsWith('|')) {
        for (let j = errAt + 1; j < block.length && block[j].startsWith('  '); j++) error.push(block[j].slice(2));
      } else error.push(unquote(first));
    }
    if (field('exitCode') !== undefined) {
      // the file itself failed: what it printed to stderr comes just before its entry
      const said = [];
      const entry = lines[i - 1]?.startsWith('# Subtest:') ? i - 1 : i;
      for (let j = entry - 1; j >= 0 && lines[j].startsWith('# ') && !lines[j].startsWith('# Subtest:'); j--) said.unshift(lines[j].slice(2));
      error = [...said.filter((l) => /Error|error:/.test(l)).slice(0, 3), ...error];
    }
    error = error.filter((l) => l.trim());
    // an assertion's diff: its first lines, then the lines that differ
    if (error.length > 12) error = [...error.slice(0, 2), ...error.slice(2).filter((l) => /^[+-] /.test(l)).slice(0, 9), '…'];
    const name = path.isAbsolute(m[2]) ? path.relative(root, m[2]) : m[2];
    out.push({ name, location: field('location') && unquote(field('location')).replace(`${root}${path.sep}`, ''), error: error.length ? error : ['(no message)'] });
  }
  return out;
}
