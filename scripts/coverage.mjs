// Coverage of the unit tests for scripts/test.mjs: c8 takes Node's own V8 coverage of the test
// run and of every node process it starts, maps dist/*.js back to src/*.ts through tsc's source
// maps, and writes coverage/ (lcov.info, lcov-report/index.html). The run fails below FLOOR.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * What the unit tests cover today, set a little below the measured totals so that ordinary
 * changes pass and a real drop fails. Raise it when coverage rises; lower it only with a reason.
 * Measured 2026-12-01 (lines 91.89%, branches 90.61%, functions 93.31%) over packages/*\/src and
 * services/*\/src, tests, fixtures and type-only modules excluded.
 */
export const FLOOR = { lines: 90, branches: 89, functions: 92 };

const groups = ['packages', 'services'];

/** The c8 command line that runs `command` under coverage, from the repository root. */
export function withCoverage(root, command) {
  return [
    path.join(root, 'node_modules/c8/bin/c8.js'),
    '--reporter=text-summary', '--reporter=lcov', '--reporter=json-summary',
    '--reports-dir=coverage', '--temp-directory=coverage/tmp',
    // files no unit test loads count too, at 0%: a new untested module lowers the total
    '--all', ...groups.map((g) => `--src=${g}`),
    ...groups.map((g) => `--include=${g}/*/dist/**/*.js`),
    '--exclude=**/*.test.js', '--exclude=**/test-fixtures.js',
    ...uncountable(root).map((f) => `--exclude=${f}`),
    ...command,
  ];
}

/** Whether the run met FLOOR, and the lines that say so (or by how much it did not). */
export function checkFloor(root) {
  const file = path.join(root, 'coverage/coverage-summary.json');
  if (!existsSync(file)) return { ok: false, lines: [`coverage: no report at ${path.relative(root, file)} (did c8 run?)`] };
  const total = JSON.parse(readFileSync(file, 'utf8')).total;
  const below = Object.entries(FLOOR).filter(([k, floor]) => total[k].pct < floor);
  const said = Object.entries(FLOOR).map(([k, floor]) => `${k} ${total[k].pct}% (floor ${floor}%)`).join(', ');
  if (!below.length) return { ok: true, lines: [`coverage: ${said}; report in coverage/lcov-report/index.html`] };
  return {
    ok: false,
    lines: [
      `coverage below the floor: ${below.map(([k, floor]) => `${k} ${total[k].pct}% < ${floor}%`).join(', ')}`,
      '  add unit tests for what changed (coverage/lcov-report/index.html shows the lines no test runs); the floor is FLOOR in scripts/coverage.mjs',
    ],
  };
}

/**
 * Compiled files that `--all` would count as untested code nobody can test: a module of types
 * only (its .js is `export {};`, yet its source map names every line of the .ts) and one whose
 * source is gone (tsc -b leaves a moved or deleted module's .js in dist).
 */
function uncountable(root) {
  const out = [];
  const walk = (dist, rel) => {
    for (const name of readdirSync(path.join(dist, rel))) {
      const r = path.join(rel, name);
      if (statSync(path.join(dist, r)).isDirectory()) walk(dist, r);
      else if (name.endsWith('.js') && !name.endsWith('.test.js') && (!hasSource(root, path.join(dist, r)) || typesOnly(path.join(dist, r)))) {
        out.push(path.relative(root, path.join(dist, r)));
      }
    }
  };
  for (const g of groups) {
    for (const pkg of readdirSync(path.join(root, g))) {
      const dist = path.join(root, g, pkg, 'dist');
      if (existsSync(dist)) walk(dist, '');
    }
  }
  return out;
}

/** Whether a workspace's compiled `<pkg>/dist/<rel>.js` still has its `<pkg>/src/<rel>.ts`. */
export function hasSource(root, js) {
  const rel = path.relative(root, path.resolve(root, js)).split(path.sep);
  const at = rel.indexOf('dist');
  if (at < 0) return true;
  return existsSync(path.join(root, ...rel.slice(0, at), 'src', ...rel.slice(at + 1)).replace(/\.js$/, '.ts'));
}

const typesOnly = (js) => /^export \{\};\s*(\/\/# sourceMappingURL=\S+\s*)?$/.test(readFileSync(js, 'utf8'));
