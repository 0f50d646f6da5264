// A small CDK app that exercises what Bulwark's cdk loader must understand:
// user functions with risky settings next to CDK's own helper functions, a
// nested stack and a stage. Regenerate the fixtures with ../regen.sh.
const cdk = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const iam = require('aws-cdk-lib/aws-iam');
const ec2 = require('aws-cdk-lib/aws-ec2');
const s3 = require('aws-cdk-lib/aws-s3');
const s3n = require('aws-cdk-lib/aws-s3-notifications');
const s3deploy = require('aws-cdk-lib/aws-s3-deployment');
const apigw = require('aws-cdk-lib/aws-apigateway');
const logs = require('aws-cdk-lib/aws-logs');
const cr = require('aws-cdk-lib/custom-resources');
const ddb = require('aws-cdk-lib/aws-dynamodb');
const events = require('aws-cdk-lib/aws-events');
const targets = require('aws-cdk-lib/aws-events-targets');

const inline = (body) => lambda.Code.fromInline(`exports.handler = async (e) => { ${body} };`);

class StorageStack extends cdk.NestedStack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const table = new ddb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: ddb.AttributeType.STRING },
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    // Same construct ID as the function in the parent stack, so both
    // templates hold a resource with the same logical ID.
    const reader = new lambda.Function(this, 'Orders', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: inline('return 1;'),
    });
    table.grantReadData(reader);
  }
}

class ShopStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);

    // 1. A function whose inline policy grants far too much.
    const orders = new lambda.Function(this, 'Orders', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: inline('return e;'),
    });
    orders.addToRolePolicy(new iam.PolicyStatement({ actions: ['*'], resources: ['*'] }));

    // 2. A function with a public Function URL.
    const pub = new lambda.Function(this, 'Public', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: inline('return "hi";'),
      logRetention: logs.RetentionDays.ONE_WEEK, // log retention helper
    });
    pub.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    // 3. A function in a VPC.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 1, natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      restrictDefaultSecurityGroup: true, // backed by a CustomResourceProvider singleton
    });
    new lambda.Function(this, 'InVpc', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: inline('return 2;'), vpc,
    });

    // 4. A REST API with an unauthenticated route.
    const api = new apigw.RestApi(this, 'Api', { deploy: true });
    api.root.addResource('orders').addMethod('GET', new apigw.LambdaIntegration(orders),
      { authorizationType: apigw.AuthorizationType.NONE });

    // 5. A bucket with a deployment, auto-delete and notifications.
    const site = new s3.Bucket(this, 'Site', {
      removalPolicy: cdk.RemovalPolicy.DESTROY, autoDeleteObjects: true,
    });
    new s3deploy.BucketDeployment(this, 'DeploySite', {
      sources: [s3deploy.Source.data('index.html', '<h1>hello</h1>')], destinationBucket: site,
    });
    site.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(orders));

    // 6. An AwsCustomResource.
    new cr.AwsCustomResource(this, 'ReadParam', {
      onUpdate: {
        service: 'SSM', action: 'getParameter', parameters: { Name: '/shop/config' },
        physicalResourceId: cr.PhysicalResourceId.of('shop-config'),
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    });

    // 7. A custom resource backed by the Provider framework; its handlers are user code.
    const onEvent = new lambda.Function(this, 'SeedOnEvent', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: inline('return {};'),
    });
    const isComplete = new lambda.Function(this, 'SeedIsComplete', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: inline('return { IsComplete: true };'),
    });
    const provider = new cr.Provider(this, 'SeedProvider', {
      onEventHandler: onEvent, isCompleteHandler: isComplete,
    });
    new cdk.CustomResource(this, 'Seed', { serviceToken: provider.serviceToken });

    // 8. An EventBridge target that calls an AWS API through a CDK-owned singleton
    //    that only the construct metadata marks as CDK's own.
    new events.Rule(this, 'Nightly', {
      schedule: events.Schedule.rate(cdk.Duration.days(1)),
      targets: [new targets.AwsApi({ service: 'SSM', action: 'getParameter', parameters: { Name: '/shop/config' } })],
    });

    // 9. A nested stack.
    new StorageStack(this, 'Storage');
  }
}

class ProdStage extends cdk.Stage {
  constructor(scope, id, props) {
    super(scope, id, props);
    const stack = new cdk.Stack(this, 'Edge');
    new lambda.Function(stack, 'Handler', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: inline('return 3;'),
    });
  }
}

const app = new cdk.App();
new ShopStack(app, 'ShopStack');
new ProdStage(app, 'Prod');
app.synth();
