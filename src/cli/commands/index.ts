/**
 * The command registry: a static list. To add a command, create
 * `src/cli/commands/<name>.ts` exporting a `Command`, import it here and append it to
 * `commands` (an implemented command hides its `planned` entry).
 */
import type { Command } from '../command.js';
import { validate } from './validate.js';
import { test } from './test.js';
import { explainCommand } from './explain.js';
import { keys } from './keys.js';
import { serve } from './serve.js';
import { audit } from './audit.js';
import { replay } from './replay.js';
import { diff } from './diff.js';

export const commands: readonly Command[] = [
  serve,
  validate,
  keys,
  test,
  explainCommand,
  audit,
  replay,
  diff,
];

/** Commands of the CLI contract (DESIGN.md) whose modules have not landed yet; listed in help. */
export const planned: readonly { name: string; summary: string }[] = [
  { name: 'serve', summary: 'Run the gateway' },
  { name: 'test', summary: 'Run rule tests (rules/*.test.yaml): results, coverage, JUnit XML' },
  { name: 'explain', summary: 'Show how a request would be routed, rule by rule, without sending it' },
  { name: 'audit', summary: 'Query the decision audit log' },
  { name: 'replay', summary: 'Re-run recorded decisions against the current config and rules' },
  { name: 'diff', summary: 'Show which recent decisions a rule change would alter' },
  { name: 'keys', summary: 'Create virtual keys and their hashes' },
];

/** Help order: the order of the CLI contract. */
export const ORDER = ['serve', 'validate', 'test', 'explain', 'audit', 'replay', 'diff', 'keys'];
