import { InterruptedError, type StopSignal } from './errors.js';

/**
 * SIGTERM and SIGINT stop a command cleanly rather than killing it where it stands. The
 * handler only takes note; the run stops at its next step that may wait — a platform request
 * (http-retry.ts), a retry or rate-limit wait, a page of a delivery — by throwing
 * InterruptedError there, so that it unwinds as any failure does: the program's lock is
 * released, the database closed, the health check told the exit code (128 + the signal's
 * number), and main.ts says so in one error line. A request already under way is answered
 * and recorded first (it is bounded by the request timeout). SQLite writes are synchronous
 * and every multi-step write is one transaction, so a stop never falls inside one. A second
 * signal changes nothing: the first already stops the run as soon as it can.
 */

let received: InterruptedError | undefined;
const stopping = new AbortController();

/** Installs the handlers (the CLI, main.ts; not the scheduler, which has its own). */
export function stopOnSignals(): void {
  const stop = (signal: StopSignal): void => {
    if (received) return;
    received = new InterruptedError(signal);
    stopping.abort(received);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** The stop signal this run received, as the error it ends with; undefined while none came. */
export function interruption(): InterruptedError | undefined {
  return received;
}

/** Throws the run's InterruptedError once a stop signal came. */
export function throwIfInterrupted(): void {
  if (received) throw received;
}

/**
 * Waits `ms`, or less: a stop signal ends the wait at once (its timer too, which would keep
 * the process alive), and the caller's next throwIfInterrupted stops the run.
 */
export function sleepUnlessStopped(ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (stopping.signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      stopping.signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stopping.signal.addEventListener('abort', done, { once: true });
  });
}

/** A chance for a signal to be handled (a step that never waits otherwise, e.g. the local platform), then throwIfInterrupted. */
export async function stopPoint(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  throwIfInterrupted();
}
