/** The slice of a pino logger governance uses; without `error`, errors go to `warn`. */
export interface GovernanceLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  error?(obj: Record<string, unknown>, msg: string): void;
}

/** Logs at error level, or at warn for a logger without one. */
export function logError(logger: GovernanceLogger | undefined, obj: Record<string, unknown>, msg: string): void {
  if (logger?.error !== undefined) logger.error(obj, msg);
  else logger?.warn(obj, msg);
}
