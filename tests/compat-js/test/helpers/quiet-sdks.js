// Import this before the AWS SDKs: it turns off their notices about end of support (aws-sdk@2) and about
// future Node versions (v3), which would otherwise be printed in the middle of the test report.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
