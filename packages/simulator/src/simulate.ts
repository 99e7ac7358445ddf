import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { InputEvent } from '@kanshi/contract';
import { benignDay, type World } from './benign.js';
import { EventFactory } from './events.js';
import { DAY } from './market.js';
import { deliver, type MessCounts } from './messy.js';
import { Market } from './market.js';
import { generateInstruments, toInstrument, type SimInstrument } from './instruments.js';
import { generatePersona, snapshotOf, type Persona } from './population.js';
import type { Calendar } from './calendar.js';
import { simulateFamilyToDir } from './simulate-family.js';
import { planWorld } from './plan.js';
import { runHardNegatives, shapeHardNegatives } from './hard-negatives.js';
import { runIncident } from './incidents.js';
import { Rng } from './rng.js';
import type { Labels } from './scenario.js';

export interface SimulationOptions {
  accounts: number;
  days: number;
  seed: number;
  /** JST midnight of the first day, epoch ms; default Monday 2025-03-03 */
  start?: number;
  /** how many incidents (default by population: 1, 3 or 5) */
  incidents?: number;
  /** named scenarios instead (see RECIPES); overrides `incidents` */
  scenarios?: string[];
  hardNegatives?: boolean;
  /** duplicates, late and malformed lines, as real feeds have (default true) */
  messy?: boolean;
  /**
   * The world family (see FAMILY_NAMES; default classic). For families other than classic,
   * `days` counts home trading days and `start` is the family's own.
   */
  family?: string;
}

export interface SimulationProgress {
  day: number;
  days: number;
  events: number;
}

export interface SimulationSummary {
  events: number;
  lines: number;
  accounts: number;
  instruments: number;
  days: number;
  scenarios: number;
  messy: MessCounts;
  files: { events: string; instruments: string; accounts: string; labels: string };
  seconds: number;
}

export const DEFAULT_START = Date.UTC(2025, 2, 2, 15, 0, 0); // 2025-03-03 00:00 JST, a Monday

export class InvalidSimulation extends Error {
  override readonly name = 'InvalidSimulation';
}

/** Writes a labelled, seeded brokerage into `dir`: events, instruments, accounts, labels. */
export async function simulateToDir(dir: string, opts: SimulationOptions, onProgress?: (p: SimulationProgress) => void): Promise<SimulationSummary> {
  if (opts.family !== undefined && opts.family !== 'classic') return simulateFamilyToDir(dir, opts, onProgress);
  const started = performance.now();
  checkOptions(opts);
  const start = opts.start ?? DEFAULT_START;
  const root = new Rng(opts.seed);
  const { instruments, market, w } = buildWorld(root, opts.accounts, start, opts.days);
  const people = root.fork('population');
  const personas = Array.from({ length: opts.accounts }, (_, i) => generatePersona(people, i, instruments, start));
  const plan = planWorld(root.fork('plan'), w, personas, opts);
  shapeHardNegatives(root.fork('shape'), w, plan.hardNegatives);

  const scripted: InputEvent[] = [];
  const scenarioRng = root.fork('scenarios');
  const labels: Labels = { seed: opts.seed, accounts: opts.accounts, days: opts.days, start, end: start + opts.days * DAY, scenarios: [] };
  const snapshot = writeReference(dir, instruments, personas, market);
  for (const inc of plan.incidents) labels.scenarios.push(runIncident(scenarioRng, w, inc, scripted));
  if (opts.hardNegatives !== false) labels.scenarios.push(...runHardNegatives(scenarioRng, w, plan.hardNegatives, scripted));
  return writeEvents(dir, { root, w, personas, scripted, labels, messy: opts.messy !== false, started, files: snapshot }, onProgress);
}

export function checkOptions(opts: SimulationOptions): void {
  if (!Number.isInteger(opts.accounts) || opts.accounts < 50) throw new InvalidSimulation(`accounts must be a whole number of at least 50, got ${opts.accounts}`);
  if (!Number.isInteger(opts.days) || opts.days < 1) throw new InvalidSimulation(`days must be a whole number of at least 1, got ${opts.days}`);
}

/** Instruments, prices (with the family's calendar, if any), the id factory and what customers buy. */
export function buildWorld(root: Rng, accounts: number, start: number, days: number, calendar?: Calendar) {
  const instruments = generateInstruments(root.fork('instruments'), accounts < 5000 ? 0.5 : 1);
  const market = new Market(instruments, start, days, root.fork('market'), calendar);
  const emit = new EventFactory(root.fork('ids'), market);
  const w: World = {
    market, emit, start, days,
    liquid: instruments.filter((i) => i.tier !== 'small' && (i.market === 'XTKS' || rootPick(i.symbol))),
    smallHome: instruments.filter((i) => i.tier === 'small' && i.market === 'XTKS'),
  };
  return { instruments, market, w };
}

type Files = SimulationSummary['files'];

/** The reference files, as they stand before the first day: the snapshot is taken once roles are shaped. */
export function writeReference(dir: string, instruments: SimInstrument[], personas: Persona[], market: Market): Files {
  mkdirSync(dir, { recursive: true });
  const files = {
    events: path.join(dir, 'events.ndjson'), instruments: path.join(dir, 'instruments.ndjson'),
    accounts: path.join(dir, 'accounts.ndjson'), labels: path.join(dir, 'labels.json'),
  };
  writeFileSync(files.instruments, `${instruments.map((i) => JSON.stringify(toInstrument(i))).join('\n')}\n`);
  writeFileSync(files.accounts, `${personas.map((p) => JSON.stringify(snapshotOf(p, market.bySymbol))).join('\n')}\n`);
  return files;
}

export interface WorldRun {
  root: Rng;
  w: World;
  personas: Persona[];
  /** every scenario's events, placed among the ordinary days by time */
  scripted: InputEvent[];
  labels: Labels;
  messy: boolean;
  started: number;
  files: Files;
}

/** Day by day: the customers' ordinary events with the scripted ones, in time order, through the messy feed. */
export async function writeEvents(_dir: string, run: WorldRun, onProgress?: (p: SimulationProgress) => void): Promise<SimulationSummary> {
  const { root, w, personas, labels, files } = run;
  const market = w.market;
  const days = w.days;
  const buckets: InputEvent[][] = Array.from({ length: days }, () => []);
  const place = (e: InputEvent) => {
    const d = market.dayOf(e.ts);
    if (d >= 0 && d < days) buckets[d].push(e);
  };
  run.scripted.forEach(place);

  const out = createWriteStream(files.events);
  const counts: MessCounts = { duplicates: 0, late: 0, malformed: 0 };
  let events = 0;
  let lines = 0;
  for (let d = 0; d < days; d++) {
    const dayRng = root.fork(`day-${d}`);
    const generated: InputEvent[] = [];
    for (const p of personas) benignDay(dayRng, p, w, d, generated);
    generated.forEach(place);
    const today = buckets[d];
    buckets[d] = [];
    today.sort((a, b) => a.ts - b.ts || (a.eventId < b.eventId ? -1 : 1));
    events += today.length;
    const text = deliver(dayRng, today, run.messy, counts);
    lines += text.length;
    if (text.length && !out.write(`${text.join('\n')}\n`)) await once(out, 'drain');
    onProgress?.({ day: d + 1, days, events });
  }
  out.end();
  await once(out, 'finish');
  writeFileSync(files.labels, JSON.stringify(labels, null, 1));
  return {
    events, lines, accounts: personas.length, instruments: market.instruments.length, days,
    scenarios: labels.scenarios.length, messy: counts, files, seconds: (performance.now() - run.started) / 1000,
  };
}

// about a third of US large caps are in ordinary customers' reach: they trade the ones they know
function rootPick(symbol: string): boolean {
  let h = 0;
  for (let i = 0; i < symbol.length; i++) h = (h * 31 + symbol.charCodeAt(i)) >>> 0;
  return h % 3 === 0;
}
