/** `switchyard keys create`: a new virtual key, printed once, with its `key_hash` line for config. */
import { loadConfig } from '../../config/index.js';
import { DEFAULT_KEY_PREFIX, generateKey, hashKey, isValidKeyPrefix } from '../../governance/keys.js';
import { UsageError, type ParsedArgs } from '../args.js';
import { formatIssues } from '../report.js';
import { CONFIG_FLAG, EXIT, JSON_FLAG, type Command, type CommandIO } from '../command.js';

export const keys: Command = {
  name: 'keys',
  summary: 'Create virtual keys and their hashes',
  usage: `Usage: switchyard keys create [--prefix PREFIX] [--hmac [--config FILE]] [--json]

Prints a new random virtual key (256 bits after the prefix) and the key_hash line to
put in a governance.virtual_keys entry. The key itself is not stored anywhere: copy it
now and hand it to the application; the gateway keeps only the hash.

  --hmac   hash with HMAC-SHA256 under governance.key_secret of the config (a leaked
           config then cannot even be used to check guesses), instead of plain SHA-256.

Example:
  $ switchyard keys create
  key: sk-sy-Xq3...
  key_hash: sha256:5e88...
  # switchyard.yaml
  governance:
    virtual_keys: [{id: vk-app, key_hash: "sha256:5e88...", team: ml-research}]`,
  flags: {
    prefix: { type: 'string', valueName: 'PREFIX', description: `Recognizable start of the key (default ${DEFAULT_KEY_PREFIX}; up to 32 of A-Z a-z 0-9 _ -)` },
    hmac: { type: 'boolean', description: 'Hash with HMAC-SHA256 under governance.key_secret' },
    ...CONFIG_FLAG,
    ...JSON_FLAG,
  },
  async run(args: ParsedArgs, io: CommandIO): Promise<number> {
    const [sub, ...extra] = args.positionals;
    if (sub !== 'create') throw new UsageError(sub === undefined ? 'missing subcommand: keys create' : `unknown subcommand "${sub}"; expected: create`);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const prefix = args.string('prefix') ?? DEFAULT_KEY_PREFIX;
    if (!isValidKeyPrefix(prefix)) throw new UsageError('--prefix must be at most 32 characters of A-Z a-z 0-9 _ -');

    let secret: string | undefined;
    if (args.boolean('hmac')) {
      const loaded = loadConfig({ path: args.string('config'), env: io.env, cwd: io.cwd, missingEnv: 'warning' });
      if (!loaded.config) {
        io.stderr.write(formatIssues(loaded.issues.filter((i) => i.severity === 'error'), io.cwd));
        io.stderr.write('switchyard keys: --hmac needs governance.key_secret from a config that loads: fix the errors above first (a placeholder key_hash can be left out until its key exists)\n');
        return EXIT.USAGE;
      }
      secret = loaded.config.config.governance?.key_secret;
      if (!secret) {
        io.stderr.write('switchyard keys: --hmac needs governance.key_secret in the config (e.g. key_secret: env.SWITCHYARD_KEY_SECRET, set in this environment)\n');
        return EXIT.USAGE;
      }
    } else if (args.string('config') !== undefined) {
      throw new UsageError('--config is only read with --hmac');
    }

    const key = generateKey(prefix);
    const keyHash = secret === undefined ? hashKey(key) : hashKey(key, 'hmac-sha256', secret);
    if (args.boolean('json')) {
      io.stdout.write(`${JSON.stringify({ key, key_hash: keyHash })}\n`);
    } else {
      io.stdout.write(`key: ${key}\nkey_hash: ${keyHash}\n`);
      io.stderr.write('The key is shown only this once: hand it over now. Put the key_hash line in a governance.virtual_keys entry.\n');
    }
    return EXIT.OK;
  },
};
