import { MemoryStore } from '../../src/governance/stores/memory.js';
import { storeContract } from './store-contract.js';

storeContract('MemoryStore', async () => ({ store: new MemoryStore(), cleanup: async () => undefined }));
