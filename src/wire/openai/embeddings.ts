/** OpenAI embeddings: client intake and rendering, and the provider-side body and response. */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../canonical.js';
import type { EmbeddingsClientOptions, ParsedEmbeddingsRequest } from '../client.js';
import { malformedResponse } from '../upstream-error.js';
import { badRequest, isRecord, optionalPositiveInt, optionalString, requireModelName, requireRecord, wrongType } from '../validate.js';
import { usageFromOpenAI } from './mapping.js';

/** The most inputs one request may carry, as OpenAI takes them; a provider that takes fewer per call gets the request in parts. */
export const MAX_EMBEDDING_INPUTS = 2048;

function input(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) throw wrongType('input', 'a string or an array of strings', v);
  if (v.length === 0) throw badRequest('input', '`input` must not be empty');
  if (v.length > MAX_EMBEDDING_INPUTS) throw badRequest('input', `\`input\` holds ${v.length} items; at most ${MAX_EMBEDDING_INPUTS} may be sent in one request`);
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] === 'string') continue;
    if (typeof v[i] === 'number' || Array.isArray(v[i])) throw badRequest('input', '`input` as token arrays is not supported; send text');
    throw wrongType(`input[${i}]`, 'a string', v[i]);
  }
  return v as string[];
}

/** Parses and validates an OpenAI `POST /v1/embeddings` body. */
export function parseOpenAIEmbeddingsRequest(body: unknown): ParsedEmbeddingsRequest {
  const b = requireRecord(body, 'body');
  const model = requireModelName(b.model);
  const request: EmbeddingsRequest = { kind: 'embeddings', model, input: input(b.input) };
  const dimensions = optionalPositiveInt(b.dimensions, 'dimensions');
  if (dimensions !== undefined) request.dimensions = dimensions;
  const user = optionalString(b.user, 'user');
  if (user !== undefined) request.user = user;
  const format = b.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badRequest('encoding_format', '`encoding_format` must be "float" or "base64"');
  return { request, clientOptions: { encodingFormat: format } };
}

export function toOpenAIEmbeddingsBody(req: EmbeddingsRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, input: req.input, encoding_format: 'float' };
  if (req.dimensions !== undefined) body.dimensions = req.dimensions;
  if (req.user !== undefined) body.user = req.user;
  return body;
}

export function parseOpenAIEmbeddingsResponse(body: unknown, fallbackModel: string): EmbeddingsResponse {
  if (!isRecord(body) || !Array.isArray(body.data)) throw malformedResponse('openai', '`data` missing');
  const data: number[][] = new Array(body.data.length);
  for (let i = 0; i < body.data.length; i++) {
    const item: unknown = body.data[i];
    if (!isRecord(item) || !Array.isArray(item.embedding)) throw malformedResponse('openai', `\`data[${i}].embedding\` missing`);
    const at = item.index === undefined || item.index === null ? i : item.index;
    // The index places the vector: one out of range or repeated would leave a hole (or a huge sparse array).
    if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= data.length || data[at] !== undefined) {
      throw malformedResponse('openai', `\`data[${i}].index\` is not a distinct index below ${data.length}`);
    }
    data[at] = item.embedding as number[];
  }
  return {
    model: typeof body.model === 'string' && body.model ? body.model : fallbackModel,
    data,
    usage: usageFromOpenAI(body.usage),
  };
}

function base64Floats(v: number[]): string {
  const f = Float32Array.from(v);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}

/** Canonical embeddings → OpenAI `list` object, floats or base64 as the client asked. */
export function renderOpenAIEmbeddingsResponse(res: EmbeddingsResponse, opts: EmbeddingsClientOptions & { model?: string }): Record<string, unknown> {
  const b64 = opts.encodingFormat === 'base64';
  return {
    object: 'list',
    data: res.data.map((v, index) => ({ object: 'embedding', index, embedding: b64 ? base64Floats(v) : v })),
    model: opts.model ?? res.model,
    usage: { prompt_tokens: res.usage.inputTokens, total_tokens: res.usage.inputTokens },
  };
}
