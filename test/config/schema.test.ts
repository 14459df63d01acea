/** The gateway schema itself: editor help on every property, and the secret places the loader resolves. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewaySchema } from '../../src/config/schema.js';
import { SECRET_PATHS } from '../../src/config/secrets.js';

type Node = Record<string, unknown> & {
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  items?: Node;
  $ref?: string;
  description?: string;
};

const definitions = (gatewaySchema as { definitions: Record<string, Node> }).definitions;
const deref = (n: Node): Node => (n.$ref ? definitions[n.$ref.split('/').pop()!] : n);

/** Calls `visit` with every property schema and its path (`*` for map values and list items). */
function walk(node: Node, path: string[], visit: (n: Node, path: string[]) => void, depth = 0): void {
  if (depth > 12) return;
  visit(node, path);
  const n = deref(node);
  for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, [...path, k], visit, depth + 1);
  if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, [...path, '*'], visit, depth + 1);
  if (n.items) walk(n.items, [...path, '*'], visit, depth + 1);
}

describe('gateway schema', () => {
  it('describes every property, for editor autocompletion', () => {
    const missing: string[] = [];
    walk(gatewaySchema as Node, [], (n, path) => {
      const last = path.at(-1);
      if (path.length === 0 || last === '*') return;
      if (!n.description && !deref(n).description) missing.push(path.join('.'));
    });
    assert.deepEqual(missing, []);
  });

  it('SECRET_PATHS lists exactly the places that hold a SecretRef', () => {
    const found: string[] = [];
    walk(gatewaySchema as Node, [], (n, path) => {
      if (n.$ref === '#/definitions/SecretRef') found.push(path.join('.'));
    });
    assert.deepEqual(found.sort(), SECRET_PATHS.map((p) => p.join('.')).sort());
  });
});
