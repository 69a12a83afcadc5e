// Loaded before the handlers with NODE_OPTIONS="--require ./local-endpoints.js": points the AWS SDK v2's DynamoDB
// clients at the local table ($DYNAMODB_ENDPOINT, e.g. dynalite's http://127.0.0.1:8000). The SDK v2 reads no
// endpoint from the environment, and the handlers stay exactly as deployed. Without DYNAMODB_ENDPOINT it does nothing.
const AWS = require('aws-sdk');

if (process.env.DYNAMODB_ENDPOINT) {
  AWS.config.update({ dynamodb: { endpoint: process.env.DYNAMODB_ENDPOINT } });
}
