/**
 * The inference routes straight off node:http. fastify serves every route, but its
 * per-request machinery (router, Request and Reply objects, hook runner, content-type
 * parser) was a large share of an inference request's own time. So an ordinary JSON
 * POST to one of the inference paths is read, checked and parsed here and handed to the
 * same handler fastify would call; anything else (other paths and methods, another
 * content type, a draining server) goes to fastify and is answered as before.
 *
 * The checks are fastify's, with our codes: body limit (by Content-Length up front, then
 * by bytes read, decoded ones for a compressed body), empty body, nesting depth, forbidden
 * keys, malformed JSON.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { SwitchyardError } from '../errors.js';
import type { Marks, ReplyLike, RequestLike } from './inference.js';
import { parseJsonBody } from './json.js';
import type { CorsHandler } from './cors.js';
import { bodyDecoder } from './body-coding.js';

/** What answering an error takes of a reply (ReplyLike's part): headers, a status and a body. */
export interface RefusalReply {
  header(name: string, value: string): this;
  hasHeader(name: string): boolean;
  code(status: number): this;
  type(contentType: string): this;
  send(body: string): this;
}

/** Handles one parsed inference request; never rejects (errors are answered in the client's dialect). */
export type InferenceHandler = (req: RequestLike, reply: ReplyLike, marks: Marks) => Promise<void>;

export interface IntakeOptions {
  /** Exact paths (no query) → handler. */
  routes: ReadonlyMap<string, InferenceHandler>;
  /** Paths under these prefixes are found spelled with doubled or trailing slashes too (see tidyPath); others keep their spelling. */
  tidyPrefixes: readonly string[];
  /** False once the gateway stops accepting: requests then go to fastify, or are refused with 503 SY_ERR_UNAVAILABLE once the server has closed. */
  ready(): boolean;
  bodyLimit: number;
  maxDepth: number;
  /** A body not complete this long after the request arrived is refused with 408. */
  requestTimeoutMs: number;
  /** A whole answer the client takes none of for this long has its connection closed. */
  clientStallMs: number;
  /** Sends `err` in the dialect of `url`, with request and decision ids. */
  refuse(reply: RefusalReply, url: string, headers: RequestLike['headers'], err: SwitchyardError): void;
  /** A handler failed outside its own error handling. */
  crashed(err: unknown, url: string): void;
  /** CORS for browser clients, before any route (src/server/cors.ts); null when off. */
  cors: CorsHandler | null;
}

/** performance.now() when the server had the request's head, for requests fastify serves. */
export const ARRIVED = Symbol('switchyard.arrived');
export type Stamped = IncomingMessage & { [ARRIVED]?: number };

/**
 * Puts the intake in front of the server's one request listener (fastify's), with CORS
 * in front of both. Requests
 * fastify serves are stamped with their arrival first, so their own time starts there
 * too. Does nothing when the server's listeners are not the shape fastify leaves.
 */
export function installIntake(server: Server, opts: IntakeOptions): void {
  const listeners = server.listeners('request');
  if (listeners.length !== 1) return;
  const fastify = listeners[0] as (req: IncomingMessage, res: ServerResponse) => void;
  server.removeListener('request', fastify);
  const arriving = watchArrivals(server, opts.requestTimeoutMs);
  const cors = opts.cors;
  server.on('request', function intake(this: Server, req: Stamped, res: ServerResponse) {
    const arrived = performance.now();
    if (cors !== null && cors(req, res)) return;
    let url = req.url ?? '/';
    const q = url.indexOf('?');
    let handler = opts.routes.get(q < 0 ? url : url.slice(0, q));
    if (handler === undefined) {
      const tidy = tidyPath(url, q);
      if (tidy !== undefined && opts.tidyPrefixes.some((p) => tidy.startsWith(p))) {
        // fastify routes (and errors are rendered) by the tidied path too.
        req.url = url = tidy + (q < 0 ? '' : url.slice(q));
        handler = opts.routes.get(tidy);
      }
    }
    if (req.method === 'POST' && opts.ready()) {
      if (handler !== undefined && isJson(req.headers['content-type'])) {
        readJson(req, res, url, handler, arrived, opts, arriving);
        return;
      }
    } else if (!this.listening) {
      // Past fastify's close, which would answer any route with a bare 503 of its own.
      refuseClosing(req, res, req.url ?? '/', opts);
      return;
    }
    req[ARRIVED] = arrived;
    fastify.call(this, req, res);
  });
}

/**
 * `url`'s path (before `q`, the index of its query) with doubled slashes made single and a
 * trailing one dropped, as clients spell a route when their base URL ends in a slash
 * (`http://gw/v1/` + `/chat/completions`); undefined when there is none to tidy. Only the
 * client API (tidyPrefixes) is found by it: any other path keeps its spelling, so a front
 * proxy's rule on `/admin` still sees every request to the admin routes.
 */
function tidyPath(url: string, q: number): string | undefined {
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.includes('//') && !(path.length > 1 && path.endsWith('/'))) return undefined;
  const tidy = path.replace(/\/{2,}/g, '/');
  return tidy.length > 1 && tidy.endsWith('/') ? tidy.slice(0, -1) : tidy;
}

/**
 * A request that comes on a connection still open once the gateway stops accepting (a
 * keep-alive connection that was busy): refused in the client's dialect, and the
 * connection closed, so the client's retry goes to another instance.
 */
function refuseClosing(req: IncomingMessage, res: ServerResponse, url: string, opts: IntakeOptions): void {
  const reply = new RawReply(res, opts.clientStallMs);
  reply.header('connection', 'close');
  opts.refuse(reply, url, req.headers, new SwitchyardError('SY_ERR_UNAVAILABLE', 'The gateway is shutting down; send the request again.'));
  req.resume();
}

/** `application/json`, any case, with or without parameters (fastify's parser takes the same). */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType.length < 16) return false;
  if (contentType.slice(0, 16).toLowerCase() !== 'application/json') return false;
  if (contentType.length === 16) return true;
  const next = contentType.charCodeAt(16);
  return next === 59 /* ; */ || next === 32 /* space */ || next === 9 /* tab */;
}

/** A body still arriving: when it is due, and how to give up on it. */
interface Arrival {
  due: number;
  expire(): void;
}

/**
 * Bodies still arriving, swept once a second: a client that stalls mid-body is answered
 * 408 when its time is up, and the connection closes. One sweep for all requests keeps
 * the cost per request to a set insertion, not a timer.
 */
function watchArrivals(server: Server, timeoutMs: number): Set<Arrival> {
  const arriving = new Set<Arrival>();
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const a of arriving) {
      if (a.due > now) continue;
      arriving.delete(a);
      a.expire();
    }
  }, Math.min(1000, timeoutMs / 4));
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
  return arriving;
}

function readJson(req: IncomingMessage, res: ServerResponse, url: string, handler: InferenceHandler, arrived: number, opts: IntakeOptions, arriving: Set<Arrival>): void {
  const reply = new RawReply(res, opts.clientStallMs);
  const refuse = (err: SwitchyardError): void => opts.refuse(reply, url, req.headers, err);
  const tooLarge = (): SwitchyardError => {
    // The rest of the body is not worth reading: the connection closes after the answer.
    reply.header('connection', 'close');
    return new SwitchyardError('SY_ERR_BODY_TOO_LARGE', 'The request body is larger than the server accepts.');
  };
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > opts.bodyLimit) {
    refuse(tooLarge());
    req.resume();
    return;
  }
  const coded = bodyDecoder(req.headers);
  if (coded instanceof SwitchyardError) {
    refuse(coded);
    req.resume();
    return;
  }
  // The body as it reads: decoded, when it comes in a content coding.
  const source: Readable = coded === null ? req : coded.output;
  // A plain body is taken as soon as its Content-Length is here, not at 'end': a small
  // body comes in the read that brought the head, its 'data' while Node's parser reads it,
  // and 'end' on a later tick, after the stream's bookkeeping; waiting for it was the
  // largest share of the gateway's own time. Node's parser hands over no more than
  // Content-Length bytes (what follows is the next request). -1, never reached, for a
  // chunked or encoded body, which is taken at 'end' as ever. Nothing after needs the
  // request ended: the handler gets the headers and the body, and answers through `res`.
  const expected = coded === null && declared !== undefined && req.headers['transfer-encoding'] === undefined ? Number(declared) : -1;
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  /** No more of the body is wanted: the rest is read and dropped, not decoded. */
  const stop = (): void => {
    over = true;
    chunks.length = 0;
    if (coded === null) return;
    req.unpipe(coded.input);
    coded.destroy();
    req.resume();
  };
  const arrival: Arrival = {
    due: arrived + opts.requestTimeoutMs,
    expire() {
      if (over) return;
      stop();
      // The rest of the body is not waited for: the connection closes after the answer.
      reply.header('connection', 'close');
      refuse(new SwitchyardError('SY_ERR_REQUEST_TIMEOUT', `The request body did not arrive in full within ${opts.requestTimeoutMs} ms (server.request_timeout_ms).`));
    },
  };
  arriving.add(arrival);
  // 'close' also comes when a client leaves mid-body.
  req.once('close', () => {
    arriving.delete(arrival);
    if (coded !== null && !req.complete) coded.destroy();
  });
  source.on('data', (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (size > opts.bodyLimit) {
      stop();
      refuse(tooLarge());
      return;
    }
    chunks.push(chunk);
    if (size === expected) take();
  });
  if (coded !== null) {
    source.on('error', (err) => {
      if (over || !(err instanceof SwitchyardError)) return;
      stop();
      refuse(err);
    });
    req.pipe(coded.input);
  }
  // A client that leaves mid-body gets no answer: 'end' never comes, and the chunks go with the request.
  source.on('end', take);
  function take(): void {
    arriving.delete(arrival);
    if (over) return;
    // Taken once: after a body taken whole (below), 'end' still comes.
    over = true;
    let body: unknown;
    try {
      const whole = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      // The listeners keep `chunks` for as long as the request runs: the parsed body is all
      // that may stay, or a 20 MB image is held twice while the provider answers.
      chunks.length = 0;
      body = parseJsonBody(whole.toString('utf8'), opts.maxDepth);
    } catch (e) {
      refuse(e instanceof SwitchyardError ? e : new SwitchyardError('SY_ERR_INVALID_JSON', 'The request body could not be read as JSON.'));
      return;
    }
    handler({ headers: req.headers, body }, reply, { start: arrived }).catch((err: unknown) => {
      opts.crashed(err, url);
      try {
        if (!res.headersSent) return refuse(new SwitchyardError('SY_ERR_INTERNAL', 'Internal error.'));
      } catch (again: unknown) {
        // The 500 carries the headers the handler collected; the one that failed may be
        // among them. A throw here would end the process.
        opts.crashed(again, url);
      }
      if (!res.writableEnded) res.destroy();
    });
  }
}

/**
 * Watches an answer still waiting in `socket`'s buffer: each `stallMs` the buffer must have
 * shrunk, or the client is taken to have stopped reading and the connection is closed.
 * Without this, a client that never reads would keep the answer in memory for ever.
 */
function closeIfStalled(res: ServerResponse, socket: Socket, stallMs: number): void {
  let waiting = socket.writableLength;
  const check = setInterval(() => {
    if (res.writableFinished || socket.destroyed) return stop();
    if (socket.writableLength >= waiting) {
      socket.destroy();
      return stop();
    }
    waiting = socket.writableLength;
  }, stallMs);
  check.unref();
  const stop = (): void => clearInterval(check);
  res.once('finish', stop);
  res.once('close', stop);
}

/** A reply's status and headers, collected until it is sent (header names lowercase). */
export abstract class CollectingReply {
  protected status = 200;
  protected readonly fields: Record<string, string> = {};

  header(name: string, value: string): this {
    this.fields[name] = value;
    return this;
  }

  headers(values: Record<string, string>): this {
    for (const name in values) this.fields[name] = values[name];
    return this;
  }

  hasHeader(name: string): boolean {
    return this.fields[name] !== undefined;
  }

  code(status: number): this {
    this.status = status;
    return this;
  }

  type(contentType: string): this {
    this.fields['content-type'] = contentType;
    return this;
  }
}

/**
 * The reply a handler writes through, over a node ServerResponse: headers collect until
 * `send` writes the head and the body at once, as fastify's reply does for a string.
 */
class RawReply extends CollectingReply implements ReplyLike {
  private hijacked = false;

  constructor(readonly raw: ServerResponse, private readonly stallMs: number) {
    super();
  }

  get sent(): boolean {
    return this.hijacked || this.raw.writableEnded;
  }

  send(body: string): this {
    if (this.sent || this.raw.headersSent) return this;
    const f = this.fields;
    const type = f['content-type'] ?? 'application/json';
    f['content-type'] = type.includes('charset') ? type : `${type}; charset=utf-8`;
    f['content-length'] = String(Buffer.byteLength(body));
    this.raw.writeHead(this.status, f);
    this.raw.end(body);
    // Almost always the kernel took the whole answer at once; when it could not, the
    // client has to keep taking it.
    const socket = this.raw.socket;
    if (socket !== null && socket.writableLength > 0) closeIfStalled(this.raw, socket, this.stallMs);
    return this;
  }

  hijack(): this {
    this.hijacked = true;
    return this;
  }
}
