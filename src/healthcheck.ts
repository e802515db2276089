import { knownSecrets, readHealthcheckUrl, redact, type CommonFlags } from './config.js';
import { exitCodeOf } from './errors.js';
import { createLogger } from './log.js';
import { interruption } from './interrupt.js';

/** Each ping gives up after this long: a slow monitoring service never holds up a run. */
const PING_TIMEOUT_MS = 5000;

/**
 * `URL` with `/start` or `/<code>` appended to its path (the healthchecks.io convention),
 * keeping any query string; `{command}` becomes the command's name.
 */
export function pingUrl(template: string, command: string, suffix: 'start' | number): string {
  const url = new URL(template.replaceAll('{command}', encodeURIComponent(command)));
  if (suffix !== 0) url.pathname = `${url.pathname.replace(/\/+$/, '')}/${suffix}`;
  return url.toString();
}

/**
 * One ping. A failure (refused, timed out, an error status) is logged without the URL
 * and never thrown: monitoring must not change what the run does or its exit code.
 */
export async function ping(url: string, what: string, warn: (message: string) => void, timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
  try {
    const response = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'pairbot' } });
    await response.body?.cancel();
    if (response.ok) return true;
    warn(`health-check ping (${what}) failed: HTTP ${response.status}; the run itself is unaffected`);
  } catch (err) {
    const name = (err as Error)?.name;
    const reason =
      name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${timeoutMs / 1000} s`
        : ((err as { cause?: { code?: string } }).cause?.code ?? (err as Error)?.message ?? String(err));
    warn(`health-check ping (${what}) failed: ${reason}; the run itself is unaffected`);
  }
  return false;
}

/**
 * Runs a command that writes or sends between two pings of PAIRBOT_HEALTHCHECK_URL:
 * `/start` before, then the bare URL on exit 0 or `/<exit code>` otherwise, also when the
 * command throws (the error still propagates to main.ts, which reports it).
 */
export async function withHealthcheck(
  command: string,
  flags: CommonFlags,
  action: () => Promise<number>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const template = readHealthcheckUrl(env, flags);
  if (!template) return action();
  knownSecrets.add(template);
  // Shown even with --quiet: a silent dead-man's switch is what the pings exist to prevent.
  const log = createLogger('normal', []);
  const send = (suffix: 'start' | number): Promise<boolean> => {
    const url = pingUrl(template, command, suffix);
    knownSecrets.add(url);
    const what = suffix === 'start' ? `${command} start` : suffix === 0 ? `${command} done` : `${command} exit ${suffix}`;
    return ping(url, what, (message) => log.warn(redact(message, [...knownSecrets])));
  };
  await send('start');
  let code: number;
  try {
    code = await action();
  } catch (err) {
    await send(exitCodeOf(err));
    throw err;
  }
  // Stopped by a signal after its last step: main.ts exits with the signal's code, and so does the ping.
  await send(interruption()?.exitCode ?? code);
  return code;
}
