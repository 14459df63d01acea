/** The slice of a pino logger governance uses. */
export interface GovernanceLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}
