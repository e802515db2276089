import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where pairbot is installed: the folder holding its package.json and bin/pairbot.js,
 * found from this module whether it runs from src/ (tests) or dist/src/ (the build).
 */
export function packageRoot(): string | undefined {
  for (const rel of ['../../package.json', '../package.json']) {
    const url = new URL(rel, import.meta.url);
    try {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string };
      if (pkg.name === 'pairbot') return dirname(fileURLToPath(url));
    } catch {
      // try the next location
    }
  }
  return undefined;
}

/** The package version, read from package.json in the install folder. */
export function version(): string {
  const root = packageRoot();
  if (!root) return 'unknown';
  try {
    return (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The git commit pairbot runs from: the checkout's HEAD when it is a git checkout, else
 * dist/build-info.json (written by `npm run build`, so packages and images carry it);
 * undefined when unknown.
 */
export function gitCommit(): string | undefined {
  const root = packageRoot();
  if (!root) return undefined;
  const commitOf = (value: unknown): string | undefined =>
    typeof value === 'string' && /^[0-9a-f]{7,40}$/i.test(value.trim()) ? value.trim().slice(0, 12) : undefined;
  if (existsSync(`${root}/.git`)) {
    try {
      return commitOf(
        execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }),
      );
    } catch {
      // no git here: the build's record may still say
    }
  }
  try {
    return commitOf((JSON.parse(readFileSync(`${root}/dist/build-info.json`, 'utf8')) as { commit?: unknown }).commit);
  } catch {
    return undefined;
  }
}
