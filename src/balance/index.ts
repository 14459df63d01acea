/**
 * Weighted balancing over providers and keys. Randomness comes in as a draw in [0, 1),
 * recorded in the decision, so every choice can be replayed.
 */
export { pickWeighted, normalize, type Pick } from './weighted.js';
export { eligibleKeys, servesModel, providerOption, balanceCandidates, type ProviderOption, type KeyOption, type BalanceQuery } from './candidates.js';
export { createChooser, type Chooser, type Choice } from './chooser.js';
