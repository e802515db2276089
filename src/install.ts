import { readFileSync } from 'node:fs';
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
