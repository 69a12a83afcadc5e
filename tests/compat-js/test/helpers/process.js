// Stopping a child process started by a test helper, by its PID.

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
