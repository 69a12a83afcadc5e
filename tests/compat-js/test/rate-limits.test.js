// The AWS SDKs against a gateway whose management API is throttled (Switchboard:RateLimits:ManagementRequests): the
// throttled call fails with the SDK's own LimitExceededException, status 429 and API Gateway's "Too Many Requests".
import './helpers/quiet-sdks.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetConnectionCommand, LimitExceededException } from '@aws-sdk/client-apigatewaymanagementapi';
import { startGateway } from './helpers/gateway.js';
import { v2ManagementApi, v3ManagementClient } from './helpers/sdk.js';

const UNKNOWN_ID = 'AAAAAAAAAAAAAAA=';
const PER_SECOND = 2;

/** Makes `count` calls at once and returns what each one failed with. */
async function failures(count, call) {
  const settled = await Promise.allSettled(Array.from({ length: count }, call));
  return settled.map((outcome) => outcome.reason);
}

describe('management API rate limit, AWS SDKs', () => {
  let gateway;
  before(async () => {
    gateway = await startGateway({ args: [`--Switchboard:RateLimits:ManagementRequests:PerSecond=${PER_SECOND}`] });
  });
  after(async () => {
    await gateway?.stop();
  });

  // Within one second the bucket gives PER_SECOND calls (twice that if the calls straddle its refill), so of 10 calls
  // made at once most are throttled; the others reach the operation and answer 410 for the unknown id.
  test('v3: throttled calls raise LimitExceededException with 429 and "Too Many Requests"', async () => {
    const client = v3ManagementClient(gateway.endpoint);
    const errors = await failures(10, () => client.send(new GetConnectionCommand({ ConnectionId: UNKNOWN_ID })));
    const throttled = errors.filter((error) => error instanceof LimitExceededException);

    assert.ok(throttled.length >= 10 - 2 * PER_SECOND, `throttled ${throttled.length} of 10: ${errors.map((error) => error?.name)}`);
    for (const error of throttled) {
      assert.equal(error.name, 'LimitExceededException');
      assert.equal(error.$metadata.httpStatusCode, 429);
      assert.equal(error.message, 'Too Many Requests');
    }
    assert.ok(errors.every((error) => error?.name === 'LimitExceededException' || error?.name === 'GoneException'));
    client.destroy();
  });

  test('v2: throttled calls fail with code LimitExceededException, statusCode 429', async () => {
    const api = v2ManagementApi(gateway.endpoint);
    const errors = await failures(10, () => api.getConnection({ ConnectionId: UNKNOWN_ID }).promise());
    const throttled = errors.filter((error) => error?.code === 'LimitExceededException');

    assert.ok(throttled.length >= 10 - 2 * PER_SECOND, `throttled ${throttled.length} of 10: ${errors.map((error) => error?.code)}`);
    for (const error of throttled) {
      assert.equal(error.statusCode, 429);
      assert.equal(error.message, 'Too Many Requests');
    }
  });
});
