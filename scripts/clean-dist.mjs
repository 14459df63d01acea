#!/usr/bin/env node
// Empties dist/ before `npm run build`: tsc only adds and overwrites, so the compiled
// file of a deleted or renamed source would stay importable, and `npm pack` would ship it.
// Only this package's own dist/ (beside this script's folder) is removed.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
