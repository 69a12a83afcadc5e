// sendmessage ({"action":"sendmessage","data":"..."}): posts `data` to every connection in the table through the
// management API of the API the message came from; an id that answers 410 Gone is stale and is deleted.
const AWS = require('aws-sdk');

const table = new AWS.DynamoDB.DocumentClient({ apiVersion: '2012-08-10', region: process.env.AWS_REGION });
const { TABLE_NAME } = process.env;

exports.handler = async (event) => {
  let connections;
  try {
    connections = await table.scan({ TableName: TABLE_NAME, ProjectionExpression: 'connectionId' }).promise();
  } catch (error) {
    return { statusCode: 500, body: error.stack };
  }

  const managementApi = new AWS.ApiGatewayManagementApi({
    apiVersion: '2018-11-29',
    endpoint: event.requestContext.domainName + '/' + event.requestContext.stage,
  });
  const { data } = JSON.parse(event.body);

  const posts = connections.Items.map(async ({ connectionId }) => {
    try {
      await managementApi.postToConnection({ ConnectionId: connectionId, Data: data }).promise();
    } catch (error) {
      if (error.statusCode !== 410) {
        throw error;
      }
      console.log(`Found stale connection, deleting ${connectionId}`);
      await table.delete({ TableName: TABLE_NAME, Key: { connectionId } }).promise();
    }
  });

  try {
    await Promise.all(posts);
  } catch (error) {
    return { statusCode: 500, body: error.stack };
  }
  return { statusCode: 200, body: 'Data sent.' };
};
