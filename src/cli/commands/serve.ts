/** `switchyard serve`: run the gateway until SIGINT/SIGTERM, then drain and flush. */
import { loadConfig } from '../../config/index.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { CONFIG_FLAG, EXIT, type Command, type CommandIO } from '../command.js';
import { formatIssues } from '../report.js';
import { formatIssue } from '../../config/source.js';
import { startGateway } from '../../server/index.js';
import { effectiveSinks, sinkPlace } from '../../audit/index.js';

/**
 * The port to serve on: `--port`, else `$PORT`; undefined leaves it to `server.port`. An
 * empty `$PORT` is unset (a shell's `PORT=` or a compose file's `${PORT}` leave it so),
 * not port 0, which would listen on a random port; an empty `--port` is an error.
 * @example servePort(undefined, '9090') // 9090
 */
export function servePort(flag: string | undefined, env: string | undefined): number | undefined {
  const text = flag ?? (env?.trim() === '' ? undefined : env);
  if (text === undefined) return undefined;
  const port = text.trim() === '' ? NaN : Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag !== undefined ? '--port' : '$PORT'} must be a port number, got "${text}"`);
  return port;
}

export const serve: Command = {
  name: 'serve',
  summary: 'Run the gateway',
  usage: `Usage: switchyard serve [--config FILE] [--port N] [--host ADDR]

Serves the OpenAI- and Anthropic-compatible endpoints. Without a config file it runs the
embedded default: the built-in mock provider, in-memory counters, a SQLite audit log in
data/audit.db under the working directory, and unauthenticated access (a warning is
logged). A config's relative paths are from its folder; the start log names every audit
sink's file.

SIGINT/SIGTERM turn /readyz to 503, keep serving for server.drain_delay_ms (default 0),
stop accepting connections, let in-flight requests finish (up to
server.shutdown_grace_ms; the rest are cut), settle and audit every request, and flush
every audit event before exiting.

SIGHUP reloads (as POST /admin/reload): the config file is read again and its
governance (customers, teams, virtual keys, their budgets, rate limits and allowlists,
pricing) is applied with the rule files, at once; budgets and rate-limit windows keep
their counters. A config or rules that do not load, or a config that changes anything
else (providers, server, upstream, dispatch, routing, audit, the counter store, ...),
is refused as a whole and logged: the running config and rules stay, and such a
change takes a restart. Once shutdown has begun, SIGHUP is ignored.`,
  flags: {
    ...CONFIG_FLAG,
    port: { type: 'string', valueName: 'N', description: 'Port (overrides server.port; $PORT also works)' },
    host: { type: 'string', valueName: 'ADDR', description: 'Address to bind (overrides server.host)' },
  },
  async run(args: ParsedArgs, io: CommandIO): Promise<number> {
    if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const port = servePort(args.string('port'), io.env.PORT);
    const loaded = loadConfig({ path: args.string('config'), env: io.env, cwd: io.cwd });
    if (!loaded.config) {
      io.stderr.write(formatIssues(loaded.issues, io.cwd));
      return EXIT.USAGE;
    }
    const cfg = loaded.config;
    let gw;
    try {
      // A reload reads the same file in the same environment.
      const reloadConfig = () => loadConfig({ path: cfg.file, env: io.env, cwd: io.cwd });
      gw = await startGateway(cfg, { port, host: args.string('host'), reloadConfig });
    } catch (e) {
      io.stderr.write(`switchyard: cannot start: ${(e as Error).message}\n`);
      return EXIT.FAILED;
    }
    const log = gw.runtime.logger;
    // What `validate` warns about in the config, logged as the rule files' warnings are.
    for (const w of loaded.issues) log.warn({ issue: w.code }, formatIssue(w));
    // Relative audit paths resolve against the config's folder (the working directory for
    // the embedded default): say where, so `switchyard audit` can be pointed at it.
    const audit = effectiveSinks(cfg.config.audit).map((s) => sinkPlace(s, cfg.dir));
    log.info({ url: gw.url, config: cfg.file ?? 'embedded default', revision: gw.runtime.router.bundle.revision, providers: [...cfg.providers.keys()], audit }, `switchyard listening on ${gw.url}`);
    // SIGHUP reloads, as POST /admin/reload does: after a `git pull` of the rules or a
    // new virtual key, `kill -HUP` needs no admin credential. A config or rules that are
    // refused leave the running ones in place. A compile holds the event loop (about 300 ms at 2,000
    // rules), so signals that come while one is waiting or under way make one more, not
    // one each: it reads the files as they are by then.
    let reloadDue = false;
    let stopping = false;
    const reload = () => {
      if (reloadDue) return;
      reloadDue = true;
      setImmediate(() => {
        reloadDue = false;
        if (stopping) return;
        const r = gw.runtime.reload();
        if (!r.ok) log.error({ signal: 'SIGHUP', issues: r.issues.map(formatIssue), hint: r.hint }, 'not reloaded: the new config or rules were refused; the running ones stay');
        else for (const w of r.issues) log.warn({ issue: w.code }, formatIssue(w));
      });
    };
    process.on('SIGHUP', reload);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        // A SIGHUP with no listener ends the process at once, in-flight requests and
        // buffered audit events with it: while draining it is taken and ignored. (A
        // terminal that closes sends one; so may a deploy that reloads every instance.)
        stopping = true;
        process.off('SIGHUP', reload);
        process.on('SIGHUP', () => log.warn({ signal: 'SIGHUP' }, 'not reloaded: the gateway is shutting down'));
        log.info({ signal }, 'shutting down: draining requests and flushing the audit log');
        gw.close().then(resolve, (e) => { log.error({ err: e }, 'shutdown error'); resolve(); });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return EXIT.OK;
  },
};
