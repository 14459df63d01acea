/**
 * The fastify application: inference routes in the OpenAI and Anthropic dialects,
 * admin routes behind their own credential, and ops routes. Every error a client can
 * cause comes back in its dialect with a stable SY_ERR_* code.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { timingSafeEqual, createHash } from 'node:crypto';
import { SwitchyardError, renderError, setRetryHeaders, statusIn } from '../errors.js';
import { explain, contextFromRequest, unknownPrincipals, validateDocument } from '../rules/index.js';
import { auditResponse } from '../audit/http.js';
import { budgetsResponse } from './admin-budgets.js';
import { formatIssue, parseSource } from '../config/source.js';
import type { TestRequest, TestState } from '../types/rule-test-file.js';
import { answerClientError } from './client-error.js';
import { dialectOf } from './dialect.js';
import { newId, requestIdFrom } from './ids.js';
import { parseJsonBody } from './json.js';
import { handleChat, handleCountTokens, handleEmbeddings, type Marks, type ReplyLike, type RequestLike } from './inference.js';
import { createCors } from './cors.js';
import { bodyDecoder } from './body-coding.js';
import { ARRIVED, installIntake, type InferenceHandler, type RefusalReply, type Stamped } from './intake.js';
import { installResponsesSocket } from './responses-ws.js';
import { anthropicModelById, anthropicModelPage, openAIModelById, openAIModelList } from './models.js';
import type { Runtime } from './runtime.js';
import type { Conversations } from './conversations.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() when the whole body had been read. */
    syStart: number;
  }
}

/**
 * Why a body that is not JSON is refused, naming the type it came as: most often curl's
 * default for `-d`, which a user who left out `-H 'content-type: application/json'` does
 * not know was sent.
 */
function notJson(contentType: string | undefined): string {
  const fix = 'send it as JSON, with Content-Type: application/json';
  if (contentType === undefined || contentType.trim() === '') return `The request body came with no Content-Type: ${fix}.`;
  const type = contentType.length > 100 ? `${contentType.slice(0, 100)}…` : contentType;
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) return `The request body was sent as ${type} (curl's default for -d): ${fix} (curl -H 'content-type: application/json').`;
  return `The request body was sent as ${type}: ${fix}.`;
}

/** Maps fastify's own errors (body too large, wrong content type, ...) onto our codes. */
function toSwitchyardError(err: unknown, contentType?: string): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new SwitchyardError('SY_ERR_BODY_TOO_LARGE', 'The request body is larger than the server accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', notJson(contentType));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return new SwitchyardError('SY_ERR_INVALID_JSON', 'The request body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return new SwitchyardError('SY_ERR_BAD_REQUEST', 'The Content-Length header does not match the body.');
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new SwitchyardError('SY_ERR_BAD_REQUEST', e.message ?? 'Bad request.', { status: e.statusCode });
  return new SwitchyardError('SY_ERR_INTERNAL', 'Internal error.');
}

function sendError(reply: FastifyReply, url: string, err: SwitchyardError): void {
  refuse(reply, url, reply.request.headers, err);
}

function refuse(reply: RefusalReply, url: string, headers: RequestLike['headers'], err: SwitchyardError): void {
  // Refused before routing (bad body, unknown route): no decision was made, but every
  // response still carries ids a client can quote.
  if (!reply.hasHeader('x-switchyard-decision-id')) {
    reply.header('x-request-id', requestIdFrom(headers['x-request-id']));
    reply.header('x-switchyard-decision-id', newId('dec_'));
  }
  setRetryHeaders(err, reply);
  const dialect = dialectOf(url);
  reply.code(statusIn(dialect, err)).type('application/json').send(JSON.stringify(renderError(dialect, err)));
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function adminGuard(rt: Runtime) {
  const token = rt.loaded.config.server?.admin_token;
  const expected = token ? digest(token) : null;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!expected) {
      sendError(reply, req.url, new SwitchyardError('SY_ERR_NOT_FOUND', 'The admin API is disabled: set server.admin_token in the config.', { status: 404 }));
      return reply;
    }
    const auth = req.headers.authorization;
    const given = typeof auth === 'string' && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : req.headers['x-switchyard-admin-token'];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      sendError(reply, req.url, new SwitchyardError('SY_ERR_ADMIN_UNAUTHORIZED', 'Admin routes need the admin credential (Authorization: Bearer or x-switchyard-admin-token).'));
      return reply;
    }
  };
}

/**
 * The body of POST /admin/explain: a request and state as in a rule test case, checked
 * against the same schema as `switchyard test` fixtures so a bad field is named, never a 500.
 */
function explainInput(body: unknown): { request: TestRequest; state: TestState } {
  const b = (body ?? {}) as { request?: unknown; state?: unknown };
  if (b.request === undefined) {
    throw new SwitchyardError('SY_ERR_BAD_REQUEST', 'Send {"request": {"model": ..., "headers": {...}, "virtual_key": ...}, "state": {...}}.', { details: { param: 'request' } });
  }
  for (const name of ['request', 'state'] as const) {
    const value = b[name] ?? {};
    const issues = validateDocument(name, parseSource(name, JSON.stringify(value)));
    if (issues.length) {
      throw new SwitchyardError('SY_ERR_BAD_REQUEST', `${name}: ${issues.map((i) => i.message).join('; ')}`, { details: { param: name } });
    }
  }
  return { request: b.request as TestRequest, state: (b.state ?? {}) as TestState };
}

export async function buildApp(rt: Runtime): Promise<FastifyInstance> {
  const server = rt.loaded.config.server ?? {};
  const maxDepth = server.max_json_depth ?? 64;
  const bodyLimit = server.body_limit_bytes ?? 32 * 1024 * 1024;
  const requestTimeoutMs = server.request_timeout_ms ?? 60_000;
  const app = Fastify({
    logger: false,
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Node's own check, for the routes fastify serves: a request still arriving after this
    // gets a bare 408 (the inference routes answer in their dialect first, in the intake).
    // Node checks every connectionsCheckingInterval, so the margin is the intake's.
    requestTimeout: requestTimeoutMs + 1_000,
    // headersTimeout may not exceed requestTimeout (Node's default is 60 s). Node looks for
    // requests past these every connectionsCheckingInterval (30 s by default), so a head
    // trickled a byte at a time held its connection for up to 90 s: a tenth of the timeout.
    http: { headersTimeout: Math.min(60_000, requestTimeoutMs), connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(requestTimeoutMs / 10))) },
    keepAliveTimeout: 72_000,
    // Requests Node's parser refuses (headers too large, not HTTP): in the dialect, with a code.
    clientErrorHandler: answerClientError,
    // A path fastify's router cannot decode (`/v1/models/%ZZ`): in the dialect too.
    frameworkErrors: (err, req, reply) => {
      const e = err.code === 'FST_ERR_BAD_URL'
        ? new SwitchyardError('SY_ERR_BAD_REQUEST', 'The request path is not a valid URL: a % must start an escape such as %2F.', { details: { param: 'path' } })
        : toSwitchyardError(err);
      sendError(reply, req.raw.url ?? '/', e);
    },
  });
  app.decorateRequest('syStart', 0);
  // Every answer carries a request id a client can quote: the inference routes set theirs
  // (with the decision id); the rest (model lists, conversations, admin, ops) get one here.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!reply.hasHeader('x-request-id')) reply.header('x-request-id', requestIdFrom(req.headers['x-request-id']));
    done(null, payload);
  });

  // A body in a content coding is decoded before it is parsed, as the intake does
  // (src/server/body-coding.ts); fastify's body limit then counts decoded bytes.
  app.addHook('preParsing', (req, _reply, payload, done) => {
    // A request without a body (a GET) has nothing to decode, whatever its headers say.
    const h = req.headers;
    if (h['transfer-encoding'] === undefined && (h['content-length'] === undefined || h['content-length'] === '0')) return done(null, payload);
    const coded = bodyDecoder(h);
    if (coded === null) return done(null, payload);
    if (coded instanceof SwitchyardError) return done(coded);
    // fastify checks Content-Length, and its limit, against the bytes received.
    const output = coded.output as typeof coded.output & { receivedEncodedLength: number };
    output.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => (output.receivedEncodedLength += chunk.length));
    payload.pipe(coded.input);
    done(null, output);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    req.syStart = performance.now();
    // No body at all is none, not bad JSON, but on the inference routes (a request must
    // have one there, as the intake says): OpenAI's Python SDK sends its JSON content type
    // on every request, a DELETE's too, and a conversation may be created with no body.
    if (body === '' && !inference.has(req.routeOptions.url ?? '')) {
      done(null, undefined);
      return;
    }
    try {
      const value = parseJsonBody(body as string, maxDepth);
      done(null, value);
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  // Anything else is refused with 415 (fastify raises FST_ERR_CTP_INVALID_MEDIA_TYPE).

  app.setErrorHandler((err, req, reply) => {
    const e = toSwitchyardError(err, req.headers['content-type']);
    if (e.code === 'SY_ERR_INTERNAL') rt.logger.error({ err, url: req.url }, 'request failed');
    countRefusal(req.url, e);
    sendError(reply, req.url, e);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    // An inference path exists, for another method: saying "no route" would send the
    // user looking for a wrong base URL. A preflight (OPTIONS) stays a 404: CORS is off.
    if (inference.has(path) && req.method !== 'OPTIONS') {
      reply.header('allow', 'POST');
      const upgrade = socketPaths.includes(path) ? ' (or GET to upgrade to a WebSocket)' : '';
      sendError(reply, req.url, new SwitchyardError('SY_ERR_METHOD_NOT_ALLOWED', `${req.method} ${path}: the route takes POST${upgrade}.`));
      return;
    }
    sendError(reply, req.url, new SwitchyardError('SY_ERR_NOT_FOUND', `No route ${req.method} ${path}.`));
  });

  // The inference routes: served by the intake (src/server/intake.ts) for ordinary JSON
  // POSTs, by fastify for the rest (and for inject()).
  const chat: InferenceHandler = (req, reply, marks) => handleChat(rt, 'openai', 'chat', req, reply, marks);
  const embeddings: InferenceHandler = (req, reply, marks) => handleEmbeddings(rt, req, reply, marks);
  const responses: InferenceHandler = (req, reply, marks) => handleChat(rt, 'openai', 'responses', req, reply, marks);
  const compact: InferenceHandler = (req, reply, marks) => handleChat(rt, 'openai', 'responses', req, reply, marks, true);
  // Each route's paths, its `endpoint` label (the one its handler counts it under, also
  // used for the requests refused before a handler runs: a body that is not JSON, too
  // large, too slow) and its handler.
  const routes: [paths: string[], endpoint: string, handler: InferenceHandler][] = [
    [['/v1/chat/completions', '/openai/v1/chat/completions'], 'chat', chat],
    [['/v1/embeddings', '/openai/v1/embeddings'], 'embeddings', embeddings],
    [['/v1/responses', '/openai/v1/responses'], 'responses', responses],
    [['/v1/responses/compact', '/openai/v1/responses/compact'], 'responses', compact],
    [['/anthropic/v1/messages'], 'messages', (req, reply, marks) => handleChat(rt, 'anthropic', 'messages', req, reply, marks)],
    [['/anthropic/v1/messages/count_tokens'], 'count_tokens', (req, reply, marks) => handleCountTokens(rt, req, reply, marks)],
  ];
  const socketPaths = ['/v1/responses', '/openai/v1/responses'];
  const inference = new Map(routes.flatMap(([paths, , handler]) => paths.map((path) => [path, handler] as const)));
  const endpoints = new Map(routes.flatMap(([paths, endpoint]) => paths.map((path) => [path, endpoint] as const)));
  const countRefusal = (url: string, err: SwitchyardError): void => {
    const endpoint = endpoints.get(url.split('?')[0]);
    if (endpoint !== undefined) rt.metrics.requests.inc({ endpoint, status: String(err.status), via: 'none' });
  };
  const marks = (req: FastifyRequest): Marks => ({ start: (req.raw as Stamped)[ARRIVED] ?? (req.syStart || performance.now()) });
  for (const [path, handler] of inference) app.post(path, (req, reply) => handler(req, reply, marks(req)));
  installIntake(app.server, {
    routes: inference,
    // The client API: the inference routes, model lists and conversations.
    tidyPrefixes: ['/v1/', '/openai/v1/', '/anthropic/v1/'],
    ready: () => !rt.closing,
    bodyLimit,
    maxDepth,
    requestTimeoutMs,
    clientStallMs: server.client_stall_ms ?? 60_000,
    cors: createCors(server.cors_origins),
    refuse: (reply, url, headers, err) => {
      countRefusal(url, err);
      refuse(reply, url, headers, err);
    },
    crashed: (err, url) => rt.logger.error({ err, url }, 'request failed'),
  });
  // The Responses API over a WebSocket (src/server/responses-ws.ts). On close, each
  // connection finishes its request in progress, then closes; at the grace period's end
  // the rest are cut, as the HTTP connections are.
  const sockets = installResponsesSocket(app.server, {
    paths: socketPaths,
    handler: responses,
    authenticate: (headers) => rt.governance.authenticate(headers),
    ready: () => !rt.closing,
    items: rt.responseItems,
    conversations: rt.conversations,
    maxBytes: bodyLimit,
    maxDepth,
    crashed: (err, url) => rt.logger.error({ err, url }, 'request failed'),
    refuse,
    clock: rt.clock,
    gauge: rt.metrics.websockets,
    idleMs: server.websocket_idle_ms ?? 600_000,
  });
  app.addHook('preClose', (done) => {
    sockets.drain();
    setTimeout(() => sockets.terminate(), server.shutdown_grace_ms ?? 10_000).unref();
    done();
  });
  /** A GET answered with JSON, its errors in the URL's dialect. */
  const getJson = (path: string, body: (req: FastifyRequest) => string | object | Promise<string | object>) => app.get(path, async (req, reply) => {
    try {
      const b = await body(req);
      reply.type('application/json').send(typeof b === 'string' ? b : JSON.stringify(b));
    } catch (e) {
      sendError(reply, req.url, toSwitchyardError(e));
    }
  });
  for (const prefix of ['/v1', '/openai/v1']) {
    getJson(`${prefix}/models`, (req) => openAIModelList(rt, req.headers));
    getJson(`${prefix}/models/*`, (req) => openAIModelById(rt, req.headers, (req.params as { '*': string })['*']));
    // The Responses API's stored-response routes: answers are kept only to build on, not to get back.
    app.route({
      method: ['GET', 'DELETE'], url: `${prefix}/responses/*`,
      handler: (req, reply) => sendError(reply, req.url, new SwitchyardError('SY_ERR_NOT_FOUND', 'Responses cannot be retrieved from the gateway: keep the response you were sent. Answers created with store are kept only for previous_response_id and item references.')),
    });
  }
  // Conversations (src/server/conversations.ts), each call as the caller's key: one key
  // never sees another's. One wildcard route per method: ids of any length are the
  // conversations' concern (an unknown one is a 404), not the router's.
  const conversationCall = (method: string, rest: string[], c: Conversations, scope: string, req: FastifyRequest): Promise<object> | null => {
    const [id, items, item, extra] = rest;
    const route = `${method} ${rest.length === 0 ? '' : 'id'}${items === undefined ? '' : `/${items}`}${item === undefined ? '' : '/item'}`;
    if (extra !== undefined) return null;
    switch (route) {
      case 'POST ': return c.create(scope, req.body);
      case 'GET id': return c.get(scope, id);
      case 'POST id': return c.update(scope, id, req.body);
      case 'DELETE id': return c.delete(scope, id);
      case 'GET id/items': return c.listItems(scope, id, req.query as Record<string, unknown>);
      case 'POST id/items': return c.addItems(scope, id, req.body);
      case 'GET id/items/item': return c.getItem(scope, id, item);
      case 'DELETE id/items/item': return c.deleteItem(scope, id, item);
      default: return null;
    }
  };
  const conversations = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      const c = rt.conversations;
      if (c === null) throw new SwitchyardError('SY_ERR_NOT_FOUND', 'Conversations are kept with the answers, and this gateway keeps none (server.response_items is off).');
      const scope = rt.governance.authenticate(req.headers).virtualKey ?? '';
      const wild = (req.params as { '*'?: string })['*'];
      // fastify has decoded the path already.
      const rest = wild === undefined || wild === '' ? [] : wild.split('/');
      const answer = conversationCall(req.method, rest, c, scope, req);
      if (answer === null) throw new SwitchyardError('SY_ERR_NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}.`);
      reply.type('application/json').send(JSON.stringify(await answer));
    } catch (e) {
      sendError(reply, req.url, toSwitchyardError(e));
    }
  };
  for (const prefix of ['/v1', '/openai/v1']) {
    app.post(`${prefix}/conversations`, conversations);
    app.route({ method: ['GET', 'POST', 'DELETE'], url: `${prefix}/conversations/*`, handler: conversations });
  }
  getJson('/anthropic/v1/models', (req) => anthropicModelPage(rt, req.headers, req.query as Record<string, unknown>));
  getJson('/anthropic/v1/models/*', (req) => anthropicModelById(rt, req.headers, (req.params as { '*': string })['*']));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (!rt.ready) return reply.code(503).send({ status: 'draining' });
    return { status: 'ready', revision: rt.router.bundle.revision };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type(rt.metrics.registry.contentType).send(await rt.metrics.registry.metrics());
  });

  await app.register(async (admin) => {
    admin.addHook('onRequest', adminGuard(rt));
    admin.post('/admin/explain', async (req) => {
      const { request, state } = explainInput(req.body);
      const router = rt.router;
      const [unknown] = unknownPrincipals(router.bundle, request);
      if (unknown) throw new SwitchyardError('SY_ERR_BAD_REQUEST', `request.${unknown.field}: ${unknown.message}`, { details: { param: `request.${unknown.field}` } });
      const { ctx, opts } = contextFromRequest(router.bundle, request, state, { now: new Date(rt.clock()) });
      return explain(router, ctx, opts);
    });
    admin.get('/admin/audit', async (req) => auditResponse(rt.audit, req.query, new Date(rt.clock())));
    admin.get('/admin/budgets', async (req) => budgetsResponse(rt.governance, req.query));
    admin.post('/admin/reload', async (_req, reply) => {
      const r = rt.reload();
      if (!r.ok) {
        rt.logger.error({ route: 'POST /admin/reload', issues: r.issues.map(formatIssue), hint: r.hint }, 'not reloaded: the new config or rules were refused; the running ones stay');
        reply.code(422);
      }
      return { ok: r.ok, revision: rt.router.bundle.revision, ...(r.hint ? { hint: r.hint } : {}), issues: r.issues.map((i) => ({ severity: i.severity, code: i.code, message: i.message, text: formatIssue(i) })) };
    });
    admin.get('/admin/rules', async () => {
      const b = rt.router.bundle;
      return {
        revision: b.revision,
        rules: b.rules.map((r) => ({ id: r.id, description: r.description ?? null, priority: r.priority, scope: r.scope.label, mode: r.mode, enabled: r.enabled, when: r.when, file: r.file, line: r.location.line })),
      };
    });
  });
  return app;
}
