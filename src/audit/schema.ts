/**
 * The audit event JSON Schema, read once from the package's schema/ folder (two levels
 * up from both src/audit and dist/audit), and the ajv validator compiled from it.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { AuditEventV1 } from '../types/audit-event.js';

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  definitions?: Record<string, JsonSchema>;
  [k: string]: unknown;
}

export const auditEventSchema: JsonSchema = JSON.parse(
  readFileSync(new URL('../../schema/audit-event.schema.json', import.meta.url), 'utf8'),
) as JsonSchema;

// ajv-formats is CommonJS: under NodeNext the default import is module.exports, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

let compiled: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null } | undefined;

/** Schema problems of `value` as an AuditEventV1 (`/path: message`); empty when valid. */
export function auditEventProblems(value: unknown): string[] {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    compiled = ajv.compile(auditEventSchema);
  }
  if (compiled(value)) return [];
  return (compiled.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}

export function isAuditEvent(value: unknown): value is AuditEventV1 {
  return auditEventProblems(value).length === 0;
}
