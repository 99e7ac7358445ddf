/**
 * @kanshi/simulator: a seeded brokerage with labelled hack-pump-dump incidents and the benign
 * behaviour that looks like them. For back-testing and demos; detection never reads labels.
 */
export { simulateToDir, DEFAULT_START, InvalidSimulation, type SimulationOptions, type SimulationProgress, type SimulationSummary } from './simulate.js';
export { RECIPES, DEFAULT_ORDER, type Recipe } from './incident-recipes.js';
export { UnknownScenario } from './plan.js';
export type { Labels, ScenarioLabel } from './scenario.js';
export { FAMILIES, FAMILY_NAMES, TUNING_FAMILIES, type Family } from './families.js';
export { UnknownFamily } from './simulate-family.js';
