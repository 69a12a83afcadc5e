// Creates the tutorial's connections table (key: connectionId, a string) in the local DynamoDB, e.g. dynalite:
//   NODE_OPTIONS="--require ./local-endpoints.js" DYNAMODB_ENDPOINT=http://127.0.0.1:8000 node create-table.js
// (the same as `aws dynamodb create-table --endpoint-url http://127.0.0.1:8000 ...`, without the AWS CLI).
const AWS = require('aws-sdk');

const tableName = process.env.TABLE_NAME || 'simplechat_connections';
const dynamodb = new AWS.DynamoDB({ apiVersion: '2012-08-10', region: process.env.AWS_REGION || 'us-east-1' });

dynamodb.createTable({
  TableName: tableName,
  AttributeDefinitions: [{ AttributeName: 'connectionId', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
}).promise()
  .then(() => dynamodb.waitFor('tableExists', { TableName: tableName, $waiter: { delay: 1, maxAttempts: 30 } }).promise())
  .then(() => console.log(`Table ${tableName} is ready at ${dynamodb.endpoint.href}`))
  .catch((error) => {
    console.error(`Could not create ${tableName}: ${error.message}`);
    process.exitCode = 1;
  });
