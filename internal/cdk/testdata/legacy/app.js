// A small app synthesised with an older aws-cdk-lib (2.100.0) and CDK_DEBUG=true,
// which keeps construct metadata inline in manifest.json and records creation
// stack traces in the "trace" of each aws:cdk:logicalId entry.
const cdk = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const iam = require('aws-cdk-lib/aws-iam');
const logs = require('aws-cdk-lib/aws-logs');
const cr = require('aws-cdk-lib/custom-resources');

const app = new cdk.App();
const stack = new cdk.Stack(app, 'LegacyStack');

const worker = new lambda.Function(stack, 'Worker', {
  runtime: lambda.Runtime.NODEJS_18_X, handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => 1;'),
  logRetention: logs.RetentionDays.ONE_DAY,
});
worker.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));

new cr.AwsCustomResource(stack, 'Lookup', {
  onCreate: {
    service: 'STS', action: 'getCallerIdentity',
    physicalResourceId: cr.PhysicalResourceId.of('caller'),
  },
  policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
  installLatestAwsSdk: false,
});

app.synth();
