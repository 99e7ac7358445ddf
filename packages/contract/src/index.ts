export type * from './types.js';
export { RejectedEvent, truncateRaw } from './errors.js';
export {
  EVENT_TYPES,
  parseEventLine,
  parseTimestamp,
  validateAccount,
  validateEvent,
  validateInstrument,
  type ValidateOptions,
} from './validate.js';
export { FINDING_BOUNDS, SEVERITIES, validateFinding } from './validate-finding.js';
export { SCHEMA_NAMES, avroType, schemaFieldNames, schemaJson, type SchemaName } from './schemas.js';
export { describeError, isSecretKey, redactDeep, redactText, redactUrl } from './redact.js';
