// Tracking and stopping a child process started by a test helper, by its PID; free ports for the processes.
import { createServer } from 'node:net';

/** Adds `child` to `running` until it exits; returns a promise of its `{ code, signal }`. */
export function trackExit(child, running) {
  running.add(child);
  return new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolveExit({ code, signal });
    });
  });
}

/**
 * Stops `child` with SIGTERM, then SIGKILL if it has not exited after `killAfterMs`, and resolves once `exited`
 * (a promise of its exit) does. Does nothing when the child has already exited.
 */
export async function stopChild(child, exited, killAfterMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }, killAfterMs);
  await exited;
  clearTimeout(timer);
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}
