// Starts the real Switchboard gateway (the built Switchboard.Server.dll) as a child process for one test file,
// and runs its CLI. Every server gets a free loopback port (Kestrel binds port 0 and prints the real one) and its
// own temporary directory for the SQLite registry, and is stopped by its PID.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild, trackExit } from './process.js';

export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The stage of the demo API (demo-api.json). */
export const STAGE = 'production';

/** Where the gateway dll is: $SWITCHBOARD_SERVER_DLL, else the Release build of src/Switchboard.Server in this repository. */
export function serverDll() {
  const fromEnv = process.env.SWITCHBOARD_SERVER_DLL;
  const dll = fromEnv
    ? resolve(process.cwd(), fromEnv)
    : resolve(packageRoot, '../../src/Switchboard.Server/bin/Release/net10.0/Switchboard.Server.dll');
  if (!existsSync(dll)) {
    throw new Error(
      `The Switchboard gateway is missing: ${dll} does not exist. ` +
        'Build it with dotnet build src/Switchboard.Server -c Release (from the repository root), ' +
        'or point SWITCHBOARD_SERVER_DLL at a built Switchboard.Server.dll.',
    );
  }
  return dll;
}

// Child processes still running when this test process exits for any reason (a crash, an interrupt, the test
// runner cancelling the file) are killed here, by PID.
const running = new Set();
function killRunning() {
  for (const child of running) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killRunning);
for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15]]) {
  process.once(signal, () => {
    killRunning();
    process.exit(128 + number);
  });
}

/** Environment for the dotnet processes: quiet first-run chatter, no telemetry. */
function dotnetEnv(extra = {}) {
  return {
    ...process.env,
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1',
    ...extra,
  };
}

/**
 * Starts a gateway and resolves once it prints "Now listening on". Returns
 * { port, baseUrl, stage, endpoint, wsUrl, pid, dll, output(), stop() }.
 * `port` 0 (the default) lets Kestrel pick a free loopback port; pass a gateway's `port` after its `stop()` to
 * start a new one on the same address (a restart, as clients see it; the registry starts empty).
 * `args` are extra command-line arguments for the server, e.g.
 * ['--Switchboard:Registry:Provider=redis', '--Switchboard:Registry:Redis:Configuration=127.0.0.1:6379'].
 * `stage` serves another stage than the demo API's (`--Switchboard:Stage=…`); `endpoint` and `wsUrl` follow it.
 * `tls` ({ certificatePath, keyPath }: PEM files) serves https and wss instead, on a Kestrel endpoint with that
 * certificate (`Kestrel:Endpoints:Https`); `baseUrl`, `endpoint` and `wsUrl` follow.
 */
export async function startGateway({ timeoutMs = 30_000, port: requestedPort = 0, args = [], stage = STAGE, tls } = {}) {
  const dll = serverDll();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-compat-js-'));
  const stageArgs = stage === STAGE ? [] : [`--Switchboard:Stage=${stage}`];
  const listenArgs = tls
    ? [
        `--Kestrel:Endpoints:Https:Url=https://127.0.0.1:${requestedPort}`,
        `--Kestrel:Endpoints:Https:Certificate:Path=${tls.certificatePath}`,
        `--Kestrel:Endpoints:Https:Certificate:KeyPath=${tls.keyPath}`,
      ]
    : ['--urls', `http://127.0.0.1:${requestedPort}`];
  const scheme = tls ? 'https' : 'http';
  const listening = new RegExp(`Now listening on: ${scheme}://127\\.0\\.0\\.1:(\\d+)`);
  const child = spawn('dotnet', [dll, ...listenArgs, ...stageArgs, ...args], {
    cwd: dir,
    env: dotnetEnv({ Switchboard__Registry__Sqlite__Path: join(dir, 'registry.db') }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = trackExit(child, running);

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');

  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
  const stop = async () => {
    await stopChild(child, exited, 10_000);
    cleanupDir();
  };

  try {
    const port = await new Promise((resolvePort, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`The gateway did not print "Now listening on" within ${timeoutMs} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`)),
        timeoutMs,
      );
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        const match = listening.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolvePort(Number(match[1]));
        }
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`Cannot start dotnet ${dll}: ${error.message}`));
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`The gateway exited (code ${code}, signal ${signal}) before listening.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      });
    });
    const baseUrl = `${scheme}://127.0.0.1:${port}`;
    return {
      port,
      pid: child.pid,
      dll,
      baseUrl,
      stage,
      endpoint: `${baseUrl}/${stage}`,
      wsUrl: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/${stage}`,
      output: () => ({ stdout, stderr }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Runs a command with arguments and resolves with { code, signal, stdout, stderr } (UTF-8); kills it by PID after
 * timeoutMs. `shell: true` is not used: pass the program and its arguments.
 */
export function run(command, args, { timeoutMs = 30_000, env, cwd } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the gateway's CLI (`dotnet Switchboard.Server.dll <args>`). */
export function runCli(args, options = {}) {
  return run('dotnet', [serverDll(), ...args], { ...options, env: dotnetEnv() });
}
