/**
 * The gateway config: loading, validation, env resolution, freezing, and the model
 * allowlist globs every area shares.
 */
export type { LoadedConfig, LoadOptions, LoadResult, ResolvedKey, ResolvedProvider } from './types.js';
export { loadConfig } from './load.js';
export { embeddedDefaultConfig } from './default.js';
export { resolveConfigPath, CONFIG_FILE_NAMES } from './discover.js';
export { modelMatches, allowlistMatches, refusingScope, allowScope, notAllowedMessage, type AllowScope } from './model-match.js';
export { maskSecrets } from './secrets.js';
export { closest, didYouMean } from './suggest.js';
export { formatIssue, issueAt, parseSource, readSource } from './source.js';
export type { Issue, Location, PathSegment, Severity, SourceDocument } from './source.js';
