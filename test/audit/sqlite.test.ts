import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteSink } from '../../src/audit/sinks/sqlite.js';
import { sinkContract } from './sink-contract.js';

for (const writer of ['thread', 'inline'] as const) {
  sinkContract(`sqlite (${writer} writer)`, async (table, retention) => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-audit-'));
    return {
      driver: sqliteSink({ type: 'sqlite', path: join(dir, 'audit.db'), table, retention }, { writer }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });
}
