/**
 * Dispatch: the attempt loop (retries, fallbacks, timeouts, commit point, cooldowns,
 * retry budget, provider-isolated queues) and the upstream HTTP transport.
 */
export { createDispatcher, type Dispatcher, type DispatcherOptions, type EmbeddingsResult, type TokenCountResult } from './dispatcher.js';
export { DispatchError } from './errors.js';
export { ClientSignal } from './control.js';
export { upstreamHeaders, compileForwardHeaders, isForbiddenUpstream } from './headers.js';
export {
  createTransport, UndiciTransport, MockTransport, RoutingTransport, transportSettings,
  type Transport, type UpstreamResponse, type SendOptions, type TransportSettings,
} from './transport.js';
export type {
  AbortLike, Attempt, ChatResult, Clock, DispatchOptions, DispatchTiming, DispatcherConfig, FallbackAdmission, KeyRef, Plan, PlanTarget, ResolvedProviderLike,
  ServedTarget, Sleep, StreamOutcome, Unavailability,
} from './types.js';
