/**
 * The few places SQLite and PostgreSQL SQL differ for the audit tables: placeholders and
 * column types. Everything else (filters, paging, summaries, retention) is shared text.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** The n-th (1-based) parameter placeholder. */
  placeholder(n: number): string;
  readonly types: { readonly seq: string; readonly bigint: string; readonly real: string; readonly json: string };
}

export const sqlite: Dialect = {
  name: 'sqlite',
  placeholder: () => '?',
  types: { seq: 'INTEGER PRIMARY KEY', bigint: 'INTEGER', real: 'REAL', json: 'TEXT' },
};

export const postgres: Dialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  types: { seq: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY', bigint: 'BIGINT', real: 'DOUBLE PRECISION', json: 'JSONB' },
};

/** Collects parameters while a statement is written. */
export class SqlParams {
  readonly values: unknown[] = [];
  constructor(private readonly dialect: Dialect) {}
  /** Adds a value; returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return this.dialect.placeholder(this.values.length);
  }
}

/** Runs read statements; both the SQLite and the PostgreSQL sink provide one. */
export interface SqlDriver {
  readonly dialect: Dialect;
  all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
}
