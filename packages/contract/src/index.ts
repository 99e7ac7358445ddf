export type * from './types.js';
export { REJECT_CODES, RejectedEvent, truncateRaw, type RejectCode } from './errors.js';
export { rejectionKey } from './rejection-key.js';
export { MAX_VALUE_BYTES, MAX_VALUE_DEPTH, decodeJsonBytes, jsonDeeperThan, oversize, parseJsonBounded } from './bounded-json.js';
export {
  EVENT_TYPES,
  parseEventLine,
  parseTimestamp,
  validateAccount,
  validateEvent,
  validateInstrument,
  type ValidateOptions,
} from './validate.js';
export { LIST_BOUNDS, LIST_KINDS, LIST_TARGETS, validateListEntry } from './validate-list.js';
export { ipBits, maskBits, networkOf, parsePrefix, type IpBits, type IpPrefix } from './ip.js';
export { FINDING_BOUNDS, SEVERITIES, validateFinding } from './validate-finding.js';
export { SCHEMA_NAMES, SCHEMAS_DIR, avroType, schemaFieldNames, schemaJson, type SchemaName } from './schemas.js';
export { describeError, isSecretKey, redactDeep, redactText, redactUrl } from './redact.js';
