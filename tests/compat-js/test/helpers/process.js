// Tracking and stopping a child process started by a test helper, by its PID (or its process group's id); free
// ports for the processes.
import { spawn } from 'node:child_process';
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

// Process groups started by startProcessGroup and still running: killed if this test process exits first (a crash,
// the test runner cancelling the file), by group id.
const runningGroups = new Set();
process.on('exit', () => {
  for (const child of runningGroups) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts `command args` as the leader of a new process group (a program may start children of its own, e.g. npm or a
 * Lambda runtime) and resolves once its output, stdout and stderr together, matches `ready`. Resolves with
 * { pid, match (of `ready`), output(), stop() }; stop() ends the whole group: SIGTERM, SIGKILL after killAfterMs.
 * Rejects, with the output so far, if it exits or does not match within timeoutMs; the group is stopped then.
 */
export async function startProcessGroup(name, command, args, { cwd, env, ready, timeoutMs = 30_000, killAfterMs = 5_000 }) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  runningGroups.add(child);
  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      runningGroups.delete(child);
      resolveExit({ code, signal });
    });
  });
  let output = '';
  const stop = async () => {
    // Others of the group may outlive its leader: they are killed at once when the leader has already exited.
    const leaderRunning = child.exitCode === null && child.signalCode === null;
    try {
      process.kill(-child.pid, leaderRunning ? 'SIGTERM' : 'SIGKILL');
    } catch {
      return; // no process of the group is left
    }
    if (!leaderRunning) return;
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }, killAfterMs);
    await exited;
    clearTimeout(timer);
  };
  try {
    const match = await new Promise((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} was not ready within ${timeoutMs} ms`)), timeoutMs);
      const onData = (chunk) => {
        output += chunk;
        const found = ready.exec(output);
        if (found) {
          clearTimeout(timer);
          resolveReady(found);
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`Cannot start ${name} (${command}): ${error.message}`));
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (code ${code}, signal ${signal}) before it was ready`));
      });
    });
    return { pid: child.pid, match, output: () => output, stop };
  } catch (error) {
    await stop();
    throw new Error(`${error.message}; its output:\n${output}`);
  }
}
