/**
 * The flooding attendees of bench/scale.ts, in their own process so their output handling does not
 * delay the quiet attendee's echo in the bench's event loop. Driven over IPC:
 *   argv: <server url> <count>; sends {ready}; on 'go' runs `yes` in every shell (acking on receipt,
 *   like a browser that keeps up); on 'stop' sends ^C; on 'exit' closes everything and exits.
 */
import { openLabdeck, type LabdeckTerm } from './endpoints.js';

const [url, countArg] = process.argv.slice(2);
const count = Number(countArg);
const terms: LabdeckTerm[] = [];
for (let i = 0; i < count; i += 10) {
  const batch = await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => openLabdeck({ url: url! })));
  terms.push(...batch);
}
process.send!({ type: 'ready' });
process.on('message', (m: { type: string }) => {
  if (m.type === 'go') for (const t of terms) t.send('yes\r');
  if (m.type === 'stop') {
    for (const t of terms) t.send('\x03');
    process.send!({ type: 'stopped', bytes: terms.reduce((a, t) => a + t.received, 0) });
  }
  if (m.type === 'exit') {
    for (const t of terms) t.close();
    setTimeout(() => process.exit(0), 200);
  }
});
