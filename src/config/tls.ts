/**
 * `upstream.ca_file`: certificates trusted for provider TLS besides Node's own roots: the
 * CA of a proxy that inspects TLS, or of an internal model server. Read and checked at
 * load, so a missing or unreadable file is a config error, not a failed request later.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The PEM text of the certificates in `file` (relative to `dir`), or what is wrong with it.
 * @example readCaFile('certs/corp-ca.pem', '/etc/switchyard')
 */
export function readCaFile(file: string, dir: string): { pem: string } | { problem: string } {
  const path = resolve(dir, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { problem: `upstream.ca_file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  const certs = text.match(PEM_CERT) ?? [];
  if (certs.length === 0) return { problem: `upstream.ca_file ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` };
  for (const [i, pem] of certs.entries()) {
    try {
      new X509Certificate(pem);
    } catch (e) {
      return { problem: `upstream.ca_file ${path}: certificate ${i + 1} of ${certs.length} cannot be parsed (${(e as Error).message})` };
    }
  }
  return { pem: certs.join('\n') };
}
