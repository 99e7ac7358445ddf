import { readFileSync } from 'node:fs';

/** The simulator's ground truth (labels.json), as the simulator writes it. Detection never reads it. */
export type { Labels, ScenarioLabel } from '@kanshi/simulator';
import type { Labels } from '@kanshi/simulator';

export class LabelsUnreadable extends Error {
  override readonly name = 'LabelsUnreadable';
}

export function readLabels(file: string): Labels {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LabelsUnreadable(`cannot read labels ${file}: ${(e as Error).message}`);
  }
  const l = raw as Labels;
  if (!Array.isArray(l?.scenarios)) throw new LabelsUnreadable(`${file} has no scenarios array`);
  return l;
}
