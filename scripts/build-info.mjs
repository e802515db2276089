// Writes dist/build-info.json with the git commit the build was made from, so an
// installed package (npm pack, the Docker image) can say it in `pairbot --version`.
// PAIRBOT_COMMIT wins (a Docker build has no .git); no commit known writes nothing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const out = new URL('../dist/build-info.json', import.meta.url);
let commit = process.env.PAIRBOT_COMMIT?.trim();
if (!commit) {
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    commit = undefined;
  }
}
if (commit && /^[0-9a-f]{7,40}$/i.test(commit)) {
  mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ commit })}\n`);
} else {
  rmSync(out, { force: true });
}
