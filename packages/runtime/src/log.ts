/**
 * The services' logger: pino, with every logged object redacted at any depth (secret keys
 * censored, URLs without their passwords, errors down to type, code, message and stack) and
 * every message string's URLs redacted. pino's own `redact` paths name fixed depths, and a
 * secret can sit anywhere: a config object, an error's cause, a client's request options.
 */
import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger } from 'pino';
import { redactDeep, redactText } from '@kanshi/contract';

export function serviceLogger(name: string, level: string, destination?: DestinationStream): Logger {
  return redactingChildren(pino({
    name,
    level,
    formatters: {
      log: (o) => redactDeep(o) as Record<string, unknown>,
      bindings: (b) => redactDeep(b) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
      },
    },
  }, destination));
}

// pino runs `formatters.bindings` for the root's bindings only (children reset it), so a
// child's bindings are redacted on the way in, and its own children the same way.
function redactingChildren(log: Logger): Logger {
  const child = log.child.bind(log);
  const redacted = (bindings: Bindings, options?: ChildLoggerOptions): Logger => redactingChildren(child(redactDeep(bindings) as Bindings, options) as Logger);
  log.child = redacted as unknown as Logger['child'];
  return log;
}
