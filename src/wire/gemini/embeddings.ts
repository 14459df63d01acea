/** Canonical embeddings ↔ Gemini `batchEmbedContents`. */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../canonical.js';
import { malformedResponse } from '../upstream-error.js';
import { isRecord } from '../validate.js';

/** `model` without the `models/` prefix. */
export function toGeminiEmbeddingsBody(req: EmbeddingsRequest, model: string): Record<string, unknown> {
  const name = `models/${model}`;
  return {
    requests: req.input.map((text) => (req.dimensions === undefined
      ? { model: name, content: { parts: [{ text }] } }
      : { model: name, content: { parts: [{ text }] }, outputDimensionality: req.dimensions })),
  };
}

/** Gemini reports no token counts for embeddings unless `usageMetadata` is present; usage is then 0. */
export function parseGeminiEmbeddingsResponse(body: unknown, model: string): EmbeddingsResponse {
  if (!isRecord(body) || !Array.isArray(body.embeddings)) throw malformedResponse('gemini', '`embeddings` missing');
  const data = body.embeddings.map((e, i) => {
    if (!isRecord(e) || !Array.isArray(e.values)) throw malformedResponse('gemini', `\`embeddings[${i}].values\` missing`);
    return e.values as number[];
  });
  const meta = isRecord(body.usageMetadata) ? body.usageMetadata : {};
  const tokens = typeof meta.promptTokenCount === 'number' ? meta.promptTokenCount : 0;
  return { model, data, usage: { inputTokens: tokens, outputTokens: 0 } };
}
