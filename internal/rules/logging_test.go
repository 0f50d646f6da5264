package rules

import "testing"

// lambdaFunction is a plain AWS::Lambda::Function named id with extra
// properties; mark goes on its logical ID line.
func lambdaFunction(id, mark, extra string) string {
	return "\n  " + id + ": " + mark + `
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return {}"
` + extra
}

func TestLogsNoRetentionReportsLogGroupsThatNeverExpire(t *testing.T) {
	runMarkedCases(t, LogsNoRetention, []markedCase{
		{name: "no log group", text: "Lambda creates its /aws/lambda/<function name> log group", src: "Resources:" + lambdaFunction("Fn", "# want", "")},
		{name: "no log group, fixed name", text: "Lambda creates /aws/lambda/shop-orders on the first run", src: "Resources:" +
			lambdaFunction("Fn", "# want", "      FunctionName: shop-orders\n")},
		{name: "named log group without retention", text: "has no RetentionInDays", src: "Resources:" +
			lambdaFunction("Fn", "", "") + `
  FnLogs: # want
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${Fn}
`},
		{name: "named log group with retention", src: "Resources:" + lambdaFunction("Fn", "", "") + `
  FnLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${Fn}
      RetentionInDays: 30
`},
		{name: "literal function name", src: "Resources:" +
			lambdaFunction("Fn", "", "      FunctionName: shop-orders\n") + `
  FnLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/lambda/shop-orders
      RetentionInDays: 14
`},
		{name: "name from the stack name", src: "Resources:" +
			lambdaFunction("Fn", "", "      FunctionName: !Sub ${AWS::StackName}-orders\n") + `
  FnLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${AWS::StackName}-orders
      RetentionInDays: 14
  OtherLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${AWS::StackName}-other
`},
		{name: "logging config log group", text: "Log group Shared of functions A, B", src: "Resources:" +
			lambdaFunction("A", "", "      LoggingConfig:\n        LogGroup: !Ref Shared\n") +
			lambdaFunction("B", "", "      LoggingConfig:\n        LogGroup: !Ref Shared\n") + `
  Shared: # want
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: shop
`},
		{name: "logging config log group with retention", src: "Resources:" +
			lambdaFunction("A", "", "      LoggingConfig:\n        LogGroup: !Ref Shared\n") + `
  Shared:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 7
`},
		{name: "logging config names an outside log group", src: "Resources:" +
			lambdaFunction("A", "", "      LoggingConfig:\n        LogGroup: platform-logs\n")},
		{name: "cdk log retention", src: "Resources:" + lambdaFunction("Fn", "", "") + `
  FnLogRetention:
    Type: Custom::LogRetention
    Properties:
      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:log-retention
      LogGroupName: !Join ["", [/aws/lambda/, !Ref Fn]]
      RetentionInDays: 7
`},
	})
}

func TestLambdaNoTracingReportsFunctionsWithoutActiveTracing(t *testing.T) {
	runMarkedCases(t, LambdaNoTracing, []markedCase{
		{name: "no tracing config", text: "does not trace", src: "Resources:" + lambdaFunction("Fn", "# want", "")},
		{name: "pass through", text: "PassThrough", src: "Resources:" +
			lambdaFunction("Fn", "", "      TracingConfig:\n        Mode: PassThrough # want\n")},
		{name: "active", src: "Resources:" + lambdaFunction("Fn", "", "      TracingConfig:\n        Mode: Active\n")},
		{name: "decided by a parameter", src: "Parameters:\n  Mode:\n    Type: String\nResources:" +
			lambdaFunction("Fn", "", "      TracingConfig:\n        Mode: !Ref Mode\n")},
		{name: "condition on a parameter", src: `Parameters:
  Env:
    Type: String
Conditions:
  Prod: !Equals [!Ref Env, prod]
Resources:` + lambdaFunction("Fn", "", "      TracingConfig:\n        Mode: !If [Prod, Active, PassThrough]\n")},
	})
}

// trail is an AWS::CloudTrail::Trail with extra properties; mark goes on
// its logical ID line.
func trail(id, mark, extra string) string {
	return "\n  " + id + ": " + mark + `
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: audit-logs
` + extra
}

func TestCloudTrailWeakReportsEachMissingProtection(t *testing.T) {
	strong := "      KMSKeyId: alias/trail\n      EnableLogFileValidation: true\n      IsMultiRegionTrail: true\n"
	runMarkedCases(t, CloudTrailWeak, []markedCase{
		{name: "bare trail", src: "Resources:" + trail("Trail", "# want 3", "")},
		{name: "strong trail", src: "Resources:" + trail("Trail", "", strong)},
		{name: "explicitly off", text: "Trail Trail", src: "Resources:" + trail("Trail", "", `      KMSKeyId: alias/trail
      EnableLogFileValidation: false # want
      IsMultiRegionTrail: "false" # want
`)},
		{name: "empty key ID", text: "does not encrypt", src: "Resources:" + trail("Trail", "# want", `      KMSKeyId: ""
      EnableLogFileValidation: true
      IsMultiRegionTrail: true
`)},
		{name: "decided by parameters", src: `Parameters:
  Key:
    Type: String
  Validate:
    Type: String
  MultiRegion:
    Type: String
Resources:` + trail("Trail", "", `      KMSKeyId: !Ref Key
      EnableLogFileValidation: !Ref Validate
      IsMultiRegionTrail: !Ref MultiRegion
`)},
	})
}

func TestCloudTrailNoLambdaDataEventsReportsOnceWhenNoTrailRecordsInvokes(t *testing.T) {
	runMarkedCases(t, CloudTrailNoLambdaDataEvents, []markedCase{
		{name: "no trail at all", src: "Resources:" + lambdaFunction("Fn", "", "")},
		{name: "management events only", text: "None of the trails First, Second", src: "Resources:" +
			trail("First", "# want", "") + trail("Second", "", `      EventSelectors:
        - DataResources:
            - Type: AWS::S3::Object
              Values: [arn:aws:s3]
`)},
		{name: "basic selector", src: "Resources:" + trail("First", "", "") + trail("Second", "", `      EventSelectors:
        - ReadWriteType: All
          DataResources:
            - Type: AWS::Lambda::Function
              Values: [arn:aws:lambda]
`)},
		{name: "advanced selector", src: "Resources:" + trail("Trail", "", `      AdvancedEventSelectors:
        - FieldSelectors:
            - Field: eventCategory
              Equals: [Data]
            - Field: resources.type
              Equals: [AWS::Lambda::Function]
`)},
		{name: "advanced selector for another type", text: "Trail Trail does not", src: "Resources:" + trail("Trail", "# want", `      AdvancedEventSelectors:
        - FieldSelectors:
            - Field: eventCategory
              Equals: [Data]
            - Field: resources.type
              Equals: [AWS::DynamoDB::Table]
`)},
	})
}

// alarm is an AWS::CloudWatch::Alarm on an AWS/Lambda metric; dims is the
// Dimensions block (empty for none).
func alarm(id, metric, dims string) string {
	return "\n  " + id + `:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: ` + metric + `
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
` + dims
}

func fnDimension(fn string) string {
	return "      Dimensions:\n        - Name: FunctionName\n          Value: !Ref " + fn + "\n"
}

func TestLambdaNoAlarmsReportsFunctionsNobodyWatches(t *testing.T) {
	runMarkedCases(t, LambdaNoAlarms, []markedCase{
		{name: "no alarms", text: "function Fn", src: "Resources:" + lambdaFunction("Fn", "# want", "")},
		{name: "errors alarm", src: "Resources:" + lambdaFunction("Fn", "", "") + alarm("FnErrors", "Errors", fnDimension("Fn"))},
		{name: "throttles alarm", src: "Resources:" + lambdaFunction("Fn", "", "") + alarm("FnThrottles", "Throttles", fnDimension("Fn"))},
		{name: "duration alarm only", src: "Resources:" + lambdaFunction("Fn", "# want", "") +
			alarm("FnDuration", "Duration", fnDimension("Fn"))},
		{name: "alarm on another function", src: "Resources:" + lambdaFunction("A", "", "") +
			lambdaFunction("B", "# want", "") + alarm("AErrors", "Errors", fnDimension("A"))},
		{name: "metric math alarm", src: "Resources:" + lambdaFunction("Fn", "", "") + `
  ErrorRate:
    Type: AWS::CloudWatch::Alarm
    Properties:
      EvaluationPeriods: 1
      Threshold: 5
      ComparisonOperator: GreaterThanThreshold
      Metrics:
        - Id: errors
          ReturnData: false
          MetricStat:
            Stat: Sum
            Period: 300
            Metric:
              Namespace: AWS/Lambda
              MetricName: Errors
              Dimensions:
                - Name: FunctionName
                  Value: !Ref Fn
        - Id: rate
          Expression: errors / 10
`},
		{name: "alarm on all functions", src: "Resources:" + lambdaFunction("A", "", "") + lambdaFunction("B", "", "") +
			alarm("AllErrors", "Errors", "")},
	})
}

func TestSAMLoggingRules(t *testing.T) {
	runMarkedCases(t, LogsNoRetention, []markedCase{
		{name: "no log group", src: samHeader + samFunction("Orders", "# want", "", "")},
		{name: "log group with retention", src: samHeader + samFunction("Orders", "", "", "") + `
  OrdersLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/${Orders}
      RetentionInDays: 30
`},
	})
	runMarkedCases(t, LambdaNoTracing, []markedCase{
		{name: "no tracing", src: samHeader + samFunction("Orders", "# want", "", "")},
		{name: "globals active", src: "Globals:\n  Function:\n    Tracing: Active\n" + samHeader + samFunction("Orders", "", "", "")},
		{name: "globals pass through", src: "Globals:\n  Function:\n    Tracing: PassThrough # want 2\n" + samHeader +
			samFunction("A", "", "", "") + samFunction("B", "", "", "")},
	})
	runMarkedCases(t, LambdaNoAlarms, []markedCase{
		{name: "no alarm", src: samHeader + samFunction("Orders", "# want", "", "")},
		{name: "errors alarm", src: samHeader + samFunction("Orders", "", "", "") + alarm("OrdersErrors", "Errors", fnDimension("Orders"))},
	})
	runMarkedCases(t, CloudTrailWeak, []markedCase{
		{name: "trail in a sam template", src: samHeader + samFunction("Orders", "", "", "") +
			trail("Trail", "", "      KMSKeyId: alias/trail\n      EnableLogFileValidation: true\n      IsMultiRegionTrail: false # want\n")},
	})
	runMarkedCases(t, CloudTrailNoLambdaDataEvents, []markedCase{
		{name: "trail in a sam template", src: samHeader + samFunction("Orders", "", "", "") + trail("Trail", "# want", "")},
	})
}
