/** The held-out families: never used to decide a threshold. */
import type { Family } from './families.js';

export const HELD_OUT: Family[] = [];
