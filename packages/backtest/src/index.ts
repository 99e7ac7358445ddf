/**
 * Backtests: a labelled data set (the simulator's, or any with labels.json) through a detector,
 * scored against the labels, with an HTML report; and one row per simulator family x seed.
 * Detection itself is borrowed (see {@link Detector}): this package reads labels, which
 * detection never may.
 */
export { backtestText, runBacktest, type BacktestOptions, type BacktestResult, type Detector, type DetectRun } from './backtest.js';
export { familyTableText, parseFamilies, rowMisses, runFamilyBacktest, useOf, type FamilyBacktestOptions, type FamilyRow, type ProgressLine } from './families.js';
export { LabelsUnreadable, readLabels, type Labels, type ScenarioLabel } from './labels.js';
export {
  benignByCohort, missedTargets, scoreBacktest, variantRecall,
  type BacktestScore, type CohortFalsePositives, type HardNegativeScore, type IncidentScore, type VariantRecall,
} from './metrics.js';
