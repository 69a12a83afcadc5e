// The "sendmessage" function of AWS's WebSocket chat sample (simple-websockets-chat-app), written with the v3 SDK
// the way users write it against API Gateway. The only Switchboard-specific part is where the connection ids come
// from: the sample scans its DynamoDB table, this one reads Switchboard's GET /{stage}/@connections extension
// (paged with nextToken). The management endpoint is built from requestContext exactly as in the sample, with
// http instead of https.
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

/** The management endpoint, as the sample builds it from the event. */
export function endpointOf(event) {
  return 'http://' + event.requestContext.domainName + '/' + event.requestContext.stage;
}

/** Every open connection id, following nextToken page by page (pageSize items a page). */
export async function listConnectionIds(endpoint, { pageSize = 100 } = {}) {
  const ids = [];
  let nextToken = null;
  do {
    const url = new URL(`${endpoint}/@connections`);
    url.searchParams.set('limit', String(pageSize));
    if (nextToken) {
      url.searchParams.set('nextToken', nextToken);
    }
    const response = await fetch(url);
    if (!response.ok) {
      throw new Error(`Listing connections failed: HTTP ${response.status} ${response.headers.get('x-amzn-errortype') ?? ''}`);
    }
    const page = await response.json();
    ids.push(...page.items.map((item) => item.connectionId));
    nextToken = page.nextToken;
  } while (nextToken);
  return ids;
}

/**
 * Posts data to every id. Ids that answer GoneException are stale (the client went away; the sample deletes them
 * from its table); any other error fails the whole send, as in the sample.
 */
export async function postToConnections(endpoint, connectionIds, data) {
  const apigwManagementApi = new ApiGatewayManagementApiClient({
    apiVersion: '2018-11-29',
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
  });
  const delivered = [];
  const stale = [];
  try {
    const postCalls = connectionIds.map(async (connectionId) => {
      try {
        await apigwManagementApi.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
        delivered.push(connectionId);
      } catch (e) {
        if (e instanceof GoneException) {
          console.log(`Found stale connection, deleting ${connectionId}`);
          stale.push(connectionId);
        } else {
          throw e;
        }
      }
    });
    await Promise.all(postCalls);
  } finally {
    apigwManagementApi.destroy();
  }
  return { delivered, stale };
}

/** The handler: list the connections, post the message's data to each, report who got it and who is stale. */
export async function handler(event, { pageSize } = {}) {
  const endpoint = endpointOf(event);
  const connectionIds = await listConnectionIds(endpoint, { pageSize });
  const postData = JSON.parse(event.body).data;
  const { delivered, stale } = await postToConnections(endpoint, connectionIds, postData);
  return { statusCode: 200, body: 'Data sent.', delivered, stale };
}
