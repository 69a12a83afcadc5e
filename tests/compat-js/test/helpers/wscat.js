// wscat (the client AWS's docs use) driven as a user drives it: connected with its standard input held open by the
// test, lines typed, printed lines awaited.
//
// wscat gotcha: it exits at once, printing nothing, when its standard input is at end of file (readline 'close'
// → process.exit), and without a terminal it prints only incoming messages. So it is fed either by `sleep N |`
// (as in CI scripts) or by a pipe that the test holds open and closes when it is done.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { withTimeout } from './client.js';
import { packageRoot } from './gateway.js';

export const WSCAT = join(packageRoot, 'node_modules', 'wscat', 'bin', 'wscat');

/** wscat connected with its stdin held open by the test; `output()` grows as messages arrive. */
export class WscatSession {
  constructor(wsUrl, extraArgs = []) {
    this.stdout = '';
    this.stderr = '';
    this.listeners = new Set();
    this.child = spawn(process.execPath, [WSCAT, '-c', wsUrl, ...extraArgs], { cwd: packageRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      this.stdout += chunk;
      for (const listener of this.listeners) listener();
    });
    this.child.stderr.on('data', (chunk) => (this.stderr += chunk));
    this.exited = new Promise((resolveExit) => this.child.once('close', (code, signal) => resolveExit({ code, signal })));
  }

  /** Lines printed so far, without readline's "> " prompts (wscat prompts after each line it sends). */
  lines() {
    return this.stdout.split('\n').map((line) => line.replace(/^(> )+/, ''));
  }

  /** Resolves with the first stdout line that matches, or fails after ms. */
  waitForLine(pattern, ms = 10_000) {
    const find = () => this.lines().find((line) => pattern.test(line));
    const found = find();
    if (found !== undefined) {
      return Promise.resolve(found);
    }
    let listener;
    const promise = new Promise((resolveLine) => {
      listener = () => {
        const line = find();
        if (line !== undefined) resolveLine(line);
      };
      this.listeners.add(listener);
    });
    const failed = this.exited.then(({ code }) => {
      throw new Error(`wscat exited (code ${code}) before printing ${pattern}. stdout: ${this.stdout} stderr: ${this.stderr}`);
    });
    return withTimeout(Promise.race([promise, failed]), ms, `wscat to print ${pattern} (stdout so far: ${JSON.stringify(this.stdout)})`).finally(() =>
      this.listeners.delete(listener),
    );
  }

  /** Types a line, as a user would. */
  type(line) {
    this.child.stdin.write(`${line}\n`);
  }

  /**
   * Waits until wscat is connected. Without a terminal wscat does not print "Connected", and lines typed before
   * the socket opens are dropped, so this types a probe every 100 ms until its echo comes back.
   */
  async connected(ms = 10_000) {
    const probe = `{"action":"echo","probe":${process.pid}}`;
    this.type(probe);
    const timer = setInterval(() => this.type(probe), 100);
    try {
      await this.waitForLine(/"probe":/, ms);
    } finally {
      clearInterval(timer);
    }
  }

  /** Ends stdin (wscat then closes the socket and exits) and waits for the exit; kills it by PID if it hangs. */
  async quit() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return this.exited;
    }
    this.child.stdin.end();
    const timer = setTimeout(() => {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }, 5_000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}
