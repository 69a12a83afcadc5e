// $connect: keeps the new connection's id in the table, so that "sendmessage" can reach it later.
const AWS = require('aws-sdk');

const table = new AWS.DynamoDB.DocumentClient({ apiVersion: '2012-08-10', region: process.env.AWS_REGION });

exports.handler = async (event) => {
  try {
    await table.put({
      TableName: process.env.TABLE_NAME,
      Item: { connectionId: event.requestContext.connectionId },
    }).promise();
  } catch (error) {
    // Any status but 2xx refuses the handshake.
    return { statusCode: 500, body: `Could not store the connection: ${error.message}` };
  }
  return { statusCode: 200, body: 'Connected.' };
};
