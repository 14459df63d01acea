/**
 * The Responses API over a WebSocket (OpenAI's WebSocket mode), as Codex CLI prefers it and
 * the `openai` SDK's `ResponsesWS` speaks it: `GET /v1/responses` upgraded, the key
 * checked at the handshake, then each `response.create` message is one request, served
 * as `POST /v1/responses` with `stream: true` is (authenticated with the handshake's
 * headers, routed, admitted, dispatched, settled and audited the same way), its events
 * sent one per message.
 *
 * A connection serves its requests one at a time, in order. It keeps its latest answer
 * whatever `store` said, so a client may continue with `previous_response_id` and only
 * the new input (ConnectionItems). `generate: false` answers at once with an empty
 * response to build on, without routing or generating. Errors are `error` messages with
 * the HTTP status the same request would have had.
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES, createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { SwitchyardError, renderError } from '../errors.js';
import { parseResponsesPrefix } from '../wire/responses/intake.js';
import { responseObject } from '../wire/responses/response.js';
import { newId } from './ids.js';
import type { RawResponse, ReplyLike, RequestLike } from './inference.js';
import { CollectingReply, type InferenceHandler, type IntakeOptions } from './intake.js';
import { parseJsonBody } from './json.js';
import { ConnectionItems, keepAnswer, resolveKept, type ResponseItems } from './response-items.js';
import type { Conversations } from './conversations.js';
import type { Principal } from '../governance/index.js';

export interface ResponsesSocketOptions {
  /** Exact paths (no query) served. */
  paths: readonly string[];
  /** Serves one `response.create` as the HTTP route would (handleChat). */
  handler: InferenceHandler;
  /** Who is calling: throws the client's error (a missing or unknown key). */
  authenticate(headers: IncomingHttpHeaders): Principal;
  /** False while draining: new connections are refused with 503. */
  ready(): boolean;
  /** The kept answers, or null when none are kept. */
  items: ResponseItems | null;
  /** The conversations, kept with the answers (null when none are). */
  conversations: Conversations | null;
  /** Largest message accepted, in bytes (server.body_limit_bytes). */
  maxBytes: number;
  maxDepth: number;
  /** A handler failed outside its own error handling. */
  crashed(err: unknown, url: string): void;
  /** Answers an error in the dialect of `url`, with request and decision ids (the intake's). */
  refuse: IntakeOptions['refuse'];
  /** Epoch ms, for the time a warm-up answer was created. */
  clock(): number;
  /** Counts the open connections. */
  gauge: { inc(): void; dec(): void };
  /** A connection with no request for this long is closed (server.websocket_idle_ms). */
  idleMs: number;
}

/** The open connections, to close when the server stops. */
export interface ResponsesSockets {
  /** Each connection closes (1001) once its request in progress is answered; queued ones are dropped. Idle HTTP/1.1 connections taken over from an upgrade close. */
  drain(): void;
  /** Cuts every connection at once. */
  terminate(): void;
}

/** Requests a connection may have waiting behind the one in progress; one more closes it (1008). */
const MAX_QUEUED = 16;
/** How often a connection is pinged; one that has not answered the last ping by the next is cut. */
const PING_MS = 30_000;
/** Handshake headers that describe the connection rather than the requests on it. */
const CONNECTION_HEADERS = ['connection', 'upgrade', 'x-request-id', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'];

/** An error answered over HTTP on the raw socket, before any upgrade: the status line, the headers and the body at once. */
class UpgradeRefusal extends CollectingReply {
  constructor(private readonly socket: Duplex) {
    super();
  }

  send(body: string): this {
    const head = [`HTTP/1.1 ${this.status} ${STATUS_CODES[this.status] ?? ''}`, `content-length: ${Buffer.byteLength(body)}`, 'connection: close'];
    for (const name in this.fields) head.push(`${name}: ${this.fields[name]}`);
    this.socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
    return this;
  }
}

/** A WebSocket handshake's key: 16 bytes in base64. */
const HANDSHAKE_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** What makes `req` no WebSocket handshake that ws would take (RFC 6455 §4.2.1), or null. */
function handshakeProblem(req: IncomingMessage): { status: number; param: string; message: string } | null {
  if (req.method !== 'GET') return { status: 405, param: 'method', message: `A WebSocket handshake is a GET, not a ${req.method}.` };
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !HANDSHAKE_KEY.test(key.trim())) return { status: 400, param: 'sec-websocket-key', message: 'The WebSocket handshake needs a Sec-WebSocket-Key: 16 random bytes in base64.' };
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return { status: 400, param: 'sec-websocket-version', message: `Sec-WebSocket-Version ${version === undefined ? 'is missing' : `"${String(version).slice(0, 16)}" is not one this server speaks`}: send 13.` };
  return null;
}

/**
 * An `error` message: what the same request over HTTP would have been answered, with its
 * status and headers (the request and decision ids, `retry-after`), as OpenAI sends them.
 */
function errorMessage(status: number, body: string, headers: Record<string, string>): string {
  let error: unknown;
  try {
    error = (JSON.parse(body) as { error?: unknown }).error;
  } catch {
    error = undefined;
  }
  return JSON.stringify({ type: 'error', status, error: error ?? { type: 'server_error', code: 'SY_ERR_INTERNAL', message: 'Internal error.', param: null }, headers });
}

/** A text message's characters (ws hands a message over as a Buffer, or as the frames it came in). */
function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** The body of a `response.create` as `POST /v1/responses` takes it, streamed. */
function createBody(event: Record<string, unknown>): Record<string, unknown> {
  if (event.type !== 'response.create') {
    const what = typeof event.type === 'string' ? `"${event.type.slice(0, 64)}"` : 'an event without a type';
    throw new SwitchyardError('SY_ERR_BAD_REQUEST', `Unknown event ${what}: send {"type": "response.create", ...} with the fields of POST /v1/responses.`, { details: { param: 'type' } });
  }
  const { type: _, ...body } = event;
  body.stream = true;
  return body;
}

/**
 * Serves a request that asked to upgrade to anything but a WebSocket (h2c: `curl --http2`,
 * Java's HttpClient on http://) as HTTP/1.1, as the server did before it took upgrades:
 * node hands every upgrade request to the upgrade listener, so its head goes back in front
 * of the connection's unread bytes, without the upgrade, and `http1` reads the connection
 * from there.
 */
function serveAsHttp1(http1: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'upgrade' || name === 'http2-settings') continue;
    let value = raw[i + 1];
    if (name === 'connection') {
      value = value.split(',').map((t) => t.trim()).filter((t) => !/^(upgrade|http2-settings)$/i.test(t)).join(', ');
      if (value === '') continue;
    }
    lines.push(`${raw[i]}: ${value}`);
  }
  // The parser read the head as latin1, so latin1 gives its bytes back.
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
  http1.emit('connection', socket);
}

export function installResponsesSocket(server: Server, opts: ResponsesSocketOptions): ResponsesSockets {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxBytes, perMessageDeflate: false, clientTracking: false });
  const open = new Set<Connection>();
  const paths = new Set(opts.paths);
  // Connections whose first request asked for another upgrade: served by the server's own
  // request listeners, with its timeouts (its connection tracking starts as on listen).
  const http1 = createServer((req, res) => server.emit('request', req, res));
  for (const k of ['keepAliveTimeout', 'headersTimeout', 'requestTimeout', 'timeout', 'maxHeadersCount', 'maxRequestsPerSocket'] as const) (http1 as unknown as Record<string, unknown>)[k] = server[k];
  http1.emit('listening');
  server.once('close', () => http1.close());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      serveAsHttp1(http1, req, socket, head);
      return;
    }
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const refuse = (err: SwitchyardError): void => opts.refuse(new UpgradeRefusal(socket), url, req.headers, err);
    if (!paths.has(path)) {
      refuse(new SwitchyardError('SY_ERR_NOT_FOUND', `No WebSocket route ${path}: the Responses API's is ${opts.paths[0]}.`));
      return;
    }
    if (!opts.ready()) {
      refuse(new SwitchyardError('SY_ERR_UNAVAILABLE', 'The gateway is shutting down; connect again.', { status: 503 }));
      return;
    }
    // The handshake checks ws makes, answered in the dialect rather than with its HTML page.
    const bad = handshakeProblem(req);
    if (bad !== null) {
      const reply = new UpgradeRefusal(socket);
      if (bad.param === 'sec-websocket-version') reply.header('sec-websocket-version', '13, 8');
      opts.refuse(reply, url, req.headers, new SwitchyardError('SY_ERR_BAD_REQUEST', bad.message, { status: bad.status, details: { param: bad.param } }));
      return;
    }
    try {
      opts.authenticate(req.headers);
    } catch (e) {
      refuse(e instanceof SwitchyardError ? e : new SwitchyardError('SY_ERR_INTERNAL', 'Internal error.'));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c = new Connection(ws, socket, req, opts);
      open.add(c);
      opts.gauge.inc();
      ws.once('close', () => {
        open.delete(c);
        opts.gauge.dec();
      });
    });
  });
  return {
    drain: () => {
      http1.closeIdleConnections();
      for (const c of open) c.drain();
    },
    terminate: () => {
      http1.closeAllConnections();
      for (const c of open) c.terminate();
    },
  };
}

/** One WebSocket: its requests, one at a time, and its latest answer. */
class Connection {
  private readonly headers: IncomingHttpHeaders;
  private readonly items: ConnectionItems;
  private readonly queue: { event: Record<string, unknown> | SwitchyardError; parseMs: number }[] = [];
  private running = false;
  private draining = false;
  private current: SocketWriter | null = null;
  private answered = true;
  private readonly pinger: NodeJS.Timeout;
  private idle: NodeJS.Timeout | null = null;

  constructor(private readonly ws: WebSocket, private readonly socket: Duplex, req: IncomingMessage, private readonly opts: ResponsesSocketOptions) {
    const headers: IncomingHttpHeaders = { ...req.headers };
    for (const name of CONNECTION_HEADERS) delete headers[name];
    this.headers = headers;
    this.items = new ConnectionItems(opts.items);
    ws.on('message', (data: RawData, isBinary: boolean) => this.received(data, isBinary));
    ws.on('pong', () => { this.answered = true; });
    ws.on('error', () => ws.terminate());
    ws.once('close', () => {
      clearInterval(this.pinger);
      if (this.idle !== null) clearTimeout(this.idle);
      this.queue.length = 0;
      this.current?.lost();
      void this.items.close();
    });
    this.pinger = setInterval(() => {
      if (!this.answered) {
        ws.terminate();
        return;
      }
      this.answered = false;
      ws.ping();
    }, PING_MS);
    this.pinger.unref();
    this.waitIdle();
  }

  /** Closes the connection once it has gone `idleMs` without a request, letting its latest answer go. */
  private waitIdle(): void {
    this.idle = setTimeout(() => {
      if (!this.running) this.ws.close(1001, `no request for ${Math.round(this.opts.idleMs / 1000)} s; connect again`);
    }, this.opts.idleMs);
    this.idle.unref();
  }

  /**
   * A message, parsed on arrival: queued behind the request in progress, with the time its
   * parsing took, which counts as the request's own time as an HTTP body's does.
   */
  private received(data: RawData, isBinary: boolean): void {
    const began = performance.now();
    let event: Record<string, unknown> | SwitchyardError;
    if (isBinary) event = new SwitchyardError('SY_ERR_BAD_REQUEST', 'Send each event as a text message holding JSON.');
    else {
      try {
        event = parseJsonBody(textOf(data), this.opts.maxDepth) as Record<string, unknown>;
      } catch (e) {
        event = e instanceof SwitchyardError ? e : new SwitchyardError('SY_ERR_INVALID_JSON', 'The message could not be read as JSON.');
      }
    }
    // The client's acknowledgement of an answer (Codex sends one): nothing to do.
    if (!(event instanceof SwitchyardError) && event.type === 'response.processed') return;
    if (this.queue.length >= MAX_QUEUED) {
      this.ws.close(1008, `more than ${MAX_QUEUED} requests waiting on one connection`);
      return;
    }
    this.queue.push({ event, parseMs: performance.now() - began });
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    if (this.idle !== null) clearTimeout(this.idle);
    try {
      for (let next = this.queue.shift(); next !== undefined && this.ws.readyState === this.ws.OPEN && !this.draining; next = this.queue.shift()) {
        await this.serve(next.event, performance.now() - next.parseMs);
      }
    } finally {
      this.running = false;
    }
    if (this.draining) this.ws.close(1001, 'the gateway is shutting down; connect again');
    else if (this.ws.readyState === this.ws.OPEN) this.waitIdle();
  }

  /** One event: a `response.create` served, or an `error` message saying why not. */
  private async serve(event: Record<string, unknown> | SwitchyardError, start: number): Promise<void> {
    const writer = new SocketWriter(this.ws, this.socket);
    const reply = new SocketReply(writer);
    this.current = writer;
    try {
      if (event instanceof SwitchyardError) throw event;
      const body = createBody(event);
      const req: RequestLike = { headers: this.headers, body, connection: this.items };
      if (body.generate === false) await this.warm(req, reply);
      else await this.opts.handler(req, reply, { start });
    } catch (e) {
      if (!(e instanceof SwitchyardError)) this.opts.crashed(e, '/v1/responses (WebSocket)');
      const err = e instanceof SwitchyardError ? e : new SwitchyardError('SY_ERR_INTERNAL', 'Internal error.');
      if (!reply.sent) {
        // Refused before routing: no decision was made, but the ids are there to quote, as over HTTP.
        if (!reply.hasHeader('x-switchyard-decision-id')) reply.header('x-request-id', newId('req_')).header('x-switchyard-decision-id', newId('dec_'));
        reply.code(err.status).send(JSON.stringify(renderError('openai', err)));
      }
    } finally {
      this.current = null;
    }
  }

  /**
   * `generate: false`: the request is checked and answered at once with an empty
   * response, which the next request may build on; nothing is routed or generated. Naming
   * a conversation, it is checked with the conversation's items before its input, and its
   * input is added to the conversation, as a turn's is.
   */
  private async warm(req: RequestLike, reply: SocketReply): Promise<void> {
    const { generate: _, ...body } = req.body as Record<string, unknown>;
    body.input ??= [];
    // As every request over the connection is: a key disabled (or removed) by a reload
    // since the handshake keeps nothing more, and adds to no conversation.
    const scope = this.opts.authenticate(this.headers).virtualKey ?? '';
    const conversations = this.opts.conversations;
    const conversation = conversations === null ? null : await conversations.resolve(scope, body, this.items);
    const resolving = resolveKept(this.items, conversation?.body ?? body, () => scope);
    const kept = resolving instanceof Promise ? await resolving : resolving;
    // Codex's warm-up holds only its instructions and developer messages.
    const { request, clientOptions } = parseResponsesPrefix(kept.body as Record<string, unknown>);
    const id = newId('resp_');
    const created = Math.floor(this.opts.clock() / 1000);
    const shared = this.opts.items;
    const stored = clientOptions.store === true && shared !== null;
    const echo: Record<string, unknown> = { ...clientOptions.echo, store: stored, previous_response_id: kept.prev };
    if (conversation !== null) echo.conversation = { id: conversation.id };
    const inProgress = responseObject(id, request.model, created, { status: 'in_progress', incomplete_details: null }, [], null, echo);
    const done = responseObject(id, request.model, created, { status: 'completed', incomplete_details: null }, [], { inputTokens: 0, outputTokens: 0 }, echo);
    if (stored) {
      const link = this.items.link(kept);
      await keepAnswer(shared, scope, done, link.own, link.prev, link.chain);
    }
    this.items.remember(done, kept, stored);
    if (conversation !== null && conversation.own.length > 0) {
      // Refused (the conversation gone, too large, an id it holds): the warm-up says it was not added.
      await conversations!.append(scope, conversation.id, conversation.own, []).catch(() => {
        done.conversation = null;
      });
    }
    const events = [['response.created', inProgress], ['response.in_progress', inProgress], ['response.completed', done]] as const;
    let seq = 0;
    reply.raw.end(events.map(([type, response]) => `event: ${type}\ndata: ${JSON.stringify({ type, response, sequence_number: seq++ })}\n\n`).join(''));
  }

  drain(): void {
    this.draining = true;
    this.queue.length = 0;
    if (!this.running) this.ws.close(1001, 'the gateway is shutting down; connect again');
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/**
 * What a response is written on: the handler writes SSE frames as it would on HTTP,
 * and each event's data goes out as one text message; comments (keep-alive) and the
 * head are dropped. Ends without closing the connection; destroyed, it cuts it.
 */
class SocketWriter extends EventEmitter implements RawResponse {
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;

  constructor(private readonly ws: WebSocket, private readonly socket: Duplex) {
    super();
  }

  /** Sends one message of the response. */
  message(text: string): void {
    this.ws.send(text);
    this.headersSent = true;
  }

  writeHead(): this {
    return this;
  }

  write(chunk: string): boolean {
    if (this.destroyed || this.writableEnded) return false;
    for (let start = 0; start < chunk.length;) {
      let end = chunk.indexOf('\n\n', start);
      if (end < 0) end = chunk.length;
      const data = chunk.indexOf('data: ', start);
      if (data >= 0 && data < end) this.message(chunk.slice(data + 6, end));
      start = end + 2;
    }
    if (!this.socket.writableNeedDrain) return true;
    this.socket.once('drain', () => this.emit('drain'));
    return false;
  }

  end(chunk?: string): this {
    if (chunk !== undefined) this.write(chunk);
    if (this.writableEnded) return this;
    this.writableEnded = true;
    this.writableFinished = true;
    this.emit('close');
    return this;
  }

  /** A response cut short (a failure after its first event, or a client that stopped reading): the connection goes with it. */
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.ws.terminate();
    this.emit('close');
    return this;
  }

  /** The connection closed while this response was in progress. */
  lost(): void {
    if (this.writableEnded || this.destroyed) return;
    this.destroyed = true;
    this.emit('drain');
    this.emit('close');
  }
}

/** The reply a handler writes through: a whole answer on a WebSocket is only ever an error. */
class SocketReply extends CollectingReply implements ReplyLike {
  private done = false;

  constructor(readonly raw: SocketWriter) {
    super();
  }

  get sent(): boolean {
    return this.done || this.raw.writableEnded || this.raw.destroyed;
  }

  send(body: string): this {
    if (this.sent) return this;
    this.done = true;
    // Over HTTP this would be the whole answer; streamed here, it is only ever an error.
    const { 'content-type': _, ...headers } = this.fields;
    this.raw.message(this.status >= 400 ? errorMessage(this.status, body, headers) : body);
    this.raw.end();
    return this;
  }

  hijack(): this {
    return this;
  }
}
