// The management API clients of the AWS SDKs for JavaScript, set up as the tests use them: region us-east-1,
// example credentials (a gateway without configured credentials does not check them) and no retries, so that an
// error reaches the test as is. `options` replace any of those settings (credentials, region, clock offset).
import assert from 'node:assert/strict';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import AWS from 'aws-sdk';

/** The error a call fails with (the test fails when it succeeds). */
export async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the call succeeded, but an error was expected');
}

/** An aws-sdk v2 AWS.ApiGatewayManagementApi for `endpoint`. */
export function v2ManagementApi(endpoint, options = {}) {
  return new AWS.ApiGatewayManagementApi({
    apiVersion: '2018-11-29',
    endpoint,
    region: 'us-east-1',
    credentials: new AWS.Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'),
    maxRetries: 0,
    ...options,
  });
}

/** A v3 ApiGatewayManagementApiClient for `endpoint` (destroy() it in `after`). */
export function v3ManagementClient(endpoint, options = {}) {
  return new ApiGatewayManagementApiClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
    maxAttempts: 1,
    ...options,
  });
}

/**
 * Posts each of `texts` to `ws` with a v3 PostToConnectionCommand through `api` and checks that each is answered
 * with 200 and arrives as exactly one text frame with that text, and that nothing else arrives.
 */
export async function assertV3PostsTextFrames(api, ws, texts) {
  for (const data of texts) {
    const output = await api.send(new PostToConnectionCommand({ ConnectionId: ws.id, Data: data }));
    assert.equal(output.$metadata.httpStatusCode, 200);
    const message = await ws.next();
    assert.equal(message.isBinary, false, 'delivered as a text frame');
    assert.equal(message.text, data);
  }
  assert.equal(ws.pending(), 0);
}
