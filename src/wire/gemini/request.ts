/** Canonical ChatRequest → Gemini `generateContent` body (Google AI, v1beta). */
import type { ChatRequest, ContentPart, ToolChoice } from '../../canonical.js';
import { SwitchyardError } from '../../errors.js';
import { anthropicOnly, nothingToAnswer, refuseAnthropicOnly, textOf, toolArgumentsObject, toolCallSignature, toolResultForOthers } from '../content.js';
import { budgetOf } from '../reasoning.js';
import { geminiSchema } from './schema.js';

type Part = Record<string, unknown>;
interface Content { role: 'user' | 'model'; parts: Part[] }

/** Image types Gemini reads, by the extensions that name them. */
const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif',
};

/**
 * An image by URL: Gemini fetches public http(s) URLs itself (`fileData`), given the
 * file's type. The type is read off the URL's path; a URL that does not show it is the
 * client's to send inline instead.
 */
function fileData(url: string, param: string): Part {
  let path = '';
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' || u.protocol === 'http:') path = u.pathname;
  } catch {
    // Not a URL: refused below.
  }
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const mimeType = ext === undefined ? undefined : IMAGE_TYPES[ext];
  if (mimeType === undefined) {
    throw new SwitchyardError('SY_ERR_BAD_REQUEST', `${param}: Gemini fetches an image URL only when its type shows in the path (.png, .jpg, .jpeg, .webp, .gif, .heic, .heif); send this image inline as a base64 data URL`, { details: { param } });
  }
  return { fileData: { mimeType, fileUri: url } };
}

function parts(content: ContentPart[], param: string, out: Part[]): Part[] {
  for (const p of content) {
    switch (p.type) {
      case 'text':
        if (p.text !== '') out.push({ text: p.text });
        break;
      case 'image':
      case 'document':
        out.push({ inlineData: { mimeType: p.mediaType, data: p.data } });
        break;
      case 'image_url':
        out.push(fileData(p.url, param));
        break;
      case 'anthropic_block':
        throw anthropicOnly(`a "${String(p.block.type)}" block`, param);
    }
  }
  return out;
}

function toolConfig(c: ToolChoice): Record<string, unknown> {
  switch (c) {
    case 'auto': return { functionCallingConfig: { mode: 'AUTO' } };
    case 'none': return { functionCallingConfig: { mode: 'NONE' } };
    case 'required': return { functionCallingConfig: { mode: 'ANY' } };
    default: return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [c.name] } };
  }
}

/**
 * Gemini matches a functionResponse to its call by function name, which canonical tool
 * results do not carry: it is looked up from the latest assistant turn that made the call.
 * Consecutive turns of one role merge, so parallel results share one user turn.
 */
function contents(req: ChatRequest, checksSignatures: boolean): Content[] {
  const out: Content[] = [];
  const names = new Map<string, string>();
  const append = (role: 'user' | 'model', p: Part[]): void => {
    if (p.length === 0) return;
    const last = out[out.length - 1];
    if (last && last.role === role) for (const x of p) last.parts.push(x);
    else out.push({ role, parts: p });
  };
  for (let i = 0; i < req.messages.length; i++) {
    const m = req.messages[i];
    const param = m.from ?? `messages[${i}].content`;
    switch (m.role) {
      case 'user':
      case 'system':
        append('user', parts(m.content, param, []));
        break;
      case 'assistant': {
        // Anthropic-only blocks in the history (a server tool's use and result) are left out.
        const p = parts(m.content.filter((c) => c.type !== 'anthropic_block'), param, []);
        if (m.toolCalls) {
          for (let k = 0; k < m.toolCalls.length; k++) {
            const c = m.toolCalls[k];
            names.set(c.id, c.name);
            const part: Part = { functionCall: { name: c.name, args: toolArgumentsObject(c.arguments, c.from ?? `messages[${i}].tool_calls[${k}].function.arguments`) } };
            // Gemini signs the first call of a turn; the signature comes back in the id.
            const signature = toolCallSignature(c.id) ?? (k === 0 && checksSignatures ? SKIP_SIGNATURE : undefined);
            if (signature !== undefined) part.thoughtSignature = signature;
            p.push(part);
          }
        }
        append('model', p);
        break;
      }
      case 'tool': {
        const name = names.get(m.toolCallId);
        if (name === undefined) {
          const where = m.from ?? `messages[${i}].tool_call_id`;
          throw new SwitchyardError('SY_ERR_BAD_REQUEST', `${where}: tool result for "${m.toolCallId}" matches no earlier tool call`, { details: { param: where } });
        }
        const content = toolResultForOthers(m.content);
        const text = textOf(content, '\n');
        const p: Part[] = [{ functionResponse: { name, response: m.isError ? { error: text } : { output: text } } }];
        for (const c of content) if (c.type !== 'text') parts([c], param, p);
        append('user', p);
        break;
      }
    }
  }
  return out;
}

/**
 * Google's documented stand-in for a thought signature, for a replayed call Gemini did not
 * sign (the history came from another model): Gemini 3 refuses a replayed call without one.
 */
const SKIP_SIGNATURE = 'skip_thought_signature_validator';

/** Gemini 1 and 2 do not check a replayed call's signature; later models (and names we cannot place) do. */
const UNSIGNED_MODELS = /^(models\/)?gemini-[12]([.-]|$)/;

/** `model`: the target's, which decides whether an unsigned call in the history needs the stand-in. */
export function toGeminiBody(req: ChatRequest, model: string): Record<string, unknown> {
  refuseAnthropicOnly(req);
  const turns = contents(req, !UNSIGNED_MODELS.test(model));
  const body: Record<string, unknown> = { contents: turns };
  const sys = req.system.length ? parts(req.system.filter((p) => p.type === 'text'), 'system', []) : [];
  // An OpenAI client may send system messages alone, which its models answer as the prompt;
  // Gemini refuses a request without contents, so the system prompt goes as the user's turn.
  if (turns.length === 0) {
    if (sys.length === 0) throw nothingToAnswer(req, 'Gemini');
    turns.push({ role: 'user', parts: sys });
  } else if (sys.length) body.systemInstruction = { parts: sys };
  if (req.tools?.length) {
    body.tools = [{
      functionDeclarations: req.tools.map((t) => (t.description === undefined
        ? { name: t.name, parametersJsonSchema: geminiSchema(t.parameters) }
        : { name: t.name, description: t.description, parametersJsonSchema: geminiSchema(t.parameters) })),
    }];
    if (req.toolChoice !== undefined) body.toolConfig = toolConfig(req.toolChoice);
  }
  const gen: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) gen.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) gen.temperature = req.temperature;
  if (req.topP !== undefined) gen.topP = req.topP;
  if (req.stop?.length) gen.stopSequences = req.stop;
  const format = req.responseFormat;
  if (format && format.type !== 'text') {
    gen.responseMimeType = 'application/json';
    // responseJsonSchema takes standard JSON Schema; responseSchema would need OpenAPI-subset rewriting.
    if (format.type === 'json_schema') gen.responseJsonSchema = geminiSchema(format.schema);
  }
  if (Object.keys(gen).length) body.generationConfig = gen;
  return body;
}

/** The thinking budgets every Gemini 2.5 model takes (Pro's least, Flash's most). */
const MIN_THINKING_BUDGET = 128;
const MAX_THINKING_BUDGET = 24576;

/**
 * A reasoning setting as Gemini's thinkingConfig, with thought summaries on so the client
 * sees them: a budget (options.reasoning `budget`, Gemini 2.5), at most half of
 * maxOutputTokens since Gemini counts thinking in it; or a level (`level`, Gemini 3: low
 * for minimal and low efforts, high for medium and high, the levels every Gemini 3 model takes).
 */
export function withGeminiReasoning(body: Record<string, unknown>, req: ChatRequest, style: 'budget' | 'level'): Record<string, unknown> {
  const r = req.reasoning;
  if (r === undefined) return body;
  let thinking: Record<string, unknown>;
  if (style === 'level') thinking = { thinkingLevel: r.effort === 'minimal' || r.effort === 'low' ? 'low' : 'high', includeThoughts: true };
  else {
    let budget = Math.min(budgetOf(r), MAX_THINKING_BUDGET);
    if (req.maxTokens !== undefined) budget = Math.max(MIN_THINKING_BUDGET, Math.min(budget, Math.floor(req.maxTokens / 2)));
    thinking = { thinkingBudget: budget, includeThoughts: true };
  }
  body.generationConfig = { ...(body.generationConfig as Record<string, unknown> | undefined), thinkingConfig: thinking };
  return body;
}
