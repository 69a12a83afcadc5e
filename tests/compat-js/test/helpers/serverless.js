// serverless-offline (serverless 3) serving a service's functions on its Lambda port, the Lambda Invoke API
// (`POST /2015-03-31/functions/{service}-{stage}-{function}/invocations`), in its own process group.
import { join } from 'node:path';
import { packageRoot } from './gateway.js';
import { freePort, startProcessGroup } from './process.js';

/**
 * Starts `serverless offline start` in serviceDir (a folder with a serverless.yml naming the serverless-offline
 * plugin), handlers in its own process (--useInProcess), and resolves once the Lambda port listens, with
 * { endpoint, output(), stop() }. `env` is added to this process's environment.
 */
export async function startServerlessOffline(serviceDir, { env = {} } = {}) {
  // Only the Lambda port is listened on: serverless-offline opens its HTTP and WebSocket ports only for functions with
  // such events, and these have none (the gateway stands in for API Gateway).
  const lambdaPort = await freePort();
  const serverless = await startProcessGroup(
    'serverless-offline',
    process.execPath,
    [join(packageRoot, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--host', '127.0.0.1',
      '--lambdaPort', String(lambdaPort), '--useInProcess'],
    {
      cwd: serviceDir,
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_REGION: 'us-east-1',
        ...env,
      },
      // serverless writes its log to stderr.
      ready: new RegExp(`listening on http://127\\.0\\.0\\.1:${lambdaPort}`),
    },
  );
  return { endpoint: `http://127.0.0.1:${lambdaPort}`, output: serverless.output, stop: serverless.stop };
}
