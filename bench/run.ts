/**
 * `npm run bench [-- <name>...]`: runs every benchmark, or only the named ones.
 * Benchmarks print figures; they are not timed tests and never part of `npm test`.
 */
import { runEngineBench } from './engine.js';
import { runInboxBench } from './inbox.js';
import { runDiscordInboxBench } from './inbox-discord.js';
import { runLocalBench } from './local.js';
import { runMattermostBench } from './mattermost.js';
import { runReportBench } from './report.js';

const benches: Record<string, () => Promise<void>> = {
  engine: runEngineBench,
  inbox: async () => {
    await runInboxBench();
    await runDiscordInboxBench();
  },
  local: runLocalBench,
  mattermost: async () => {
    await runMattermostBench();
  },
  report: async () => {
    await runReportBench();
  },
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')} (known: ${Object.keys(benches).join(', ')})`);
  process.exit(2);
}
for (const [name, run] of Object.entries(benches)) {
  if (wanted.length === 0 || wanted.includes(name)) await run();
}
