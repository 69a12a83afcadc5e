// Starts a throwaway redis-server on a free loopback port (no persistence) for tests that run several gateway
// nodes sharing one Redis registry, and stops it by its PID.
import { spawn, spawnSync } from 'node:child_process';
import { freePort, stopChild, trackExit } from './process.js';

/** Whether redis-server can be run here. */
export function redisServerAvailable() {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function startOnce(port, timeoutMs) {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = trackExit(child, running);
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const stop = () => stopChild(child, exited, 5_000);
  try {
    await new Promise((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not become ready within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const onData = (chunk) => {
        output += chunk;
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          resolveReady();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`Cannot start redis-server: ${error.message}`));
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (code ${code}, signal ${signal}) before it was ready:\n${output}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid, configuration: `127.0.0.1:${port}`, output: () => output, stop };
}

/**
 * Starts redis-server on a free loopback port and resolves once it accepts connections, with
 * { port, pid, configuration ('127.0.0.1:port'), output(), stop() }. Retries with another port if the one picked
 * was taken in the meantime.
 */
export async function startRedis({ timeoutMs = 10_000, attempts = 3 } = {}) {
  let lastError;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await startOnce(await freePort(), timeoutMs);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
