/**
 * The soak's upstreams, in a process of their own (bench/soak.ts): the wire fakes of the
 * end-to-end tests (OpenAI chat and Responses API, Anthropic, Gemini), plus three OpenAI
 * fakes that always fail (500), answer late, or cut streams. Prints their URLs as one
 * JSON line. What they record is dropped every few seconds: this process must not grow.
 */
import { startWireFake, type WireFake } from '../test/fakes/wire.js';

const fakes: WireFake[] = await Promise.all([
  startWireFake({ format: 'openai', name: 'oa' }),
  startWireFake({ format: 'anthropic', name: 'an' }),
  startWireFake({ format: 'gemini', name: 'gm' }),
  startWireFake({ format: 'openai', name: 'failing' }),
  startWireFake({ format: 'openai', name: 'late' }),
  startWireFake({ format: 'openai', name: 'cut' }),
]);
const [, , , failing, late, cut] = fakes;
failing.setDefault({ error: { status: 500 } });
late.setDefault({ delayMs: 1500 });
cut.setDefault({ cutAfter: 1, chunks: 4 });
setInterval(() => {
  for (const f of fakes) {
    f.reset();
    f.history.length = 0;
  }
}, 2000).unref();
console.log(JSON.stringify(Object.fromEntries(fakes.map((f) => [f.name, f.url]))));
