// $disconnect: forgets the closed connection's id.
const AWS = require('aws-sdk');

const table = new AWS.DynamoDB.DocumentClient({ apiVersion: '2012-08-10', region: process.env.AWS_REGION });

exports.handler = async (event) => {
  try {
    await table.delete({
      TableName: process.env.TABLE_NAME,
      Key: { connectionId: event.requestContext.connectionId },
    }).promise();
  } catch (error) {
    return { statusCode: 500, body: `Could not remove the connection: ${error.message}` };
  }
  return { statusCode: 200, body: 'Disconnected.' };
};
