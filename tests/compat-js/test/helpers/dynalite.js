// dynalite, a DynamoDB implementation on Node, in memory on a free loopback port, as a stand-in for a DynamoDB table.
import { join } from 'node:path';
import { packageRoot } from './gateway.js';
import { freePort, startProcessGroup } from './process.js';

/** Starts dynalite and resolves once it listens, with { endpoint, output(), stop() }. Tables are ACTIVE at once. */
export async function startDynalite() {
  const port = await freePort();
  const dynalite = await startProcessGroup(
    'dynalite',
    process.execPath,
    [join(packageRoot, 'node_modules', 'dynalite', 'cli.js'), '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0'],
    { env: process.env, ready: new RegExp(`listening at: http://127\\.0\\.0\\.1:${port}`), timeoutMs: 10_000 },
  );
  return { endpoint: `http://127.0.0.1:${port}`, output: dynalite.output, stop: dynalite.stop };
}
