package sam

import (
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// functionEvents generates the resources for each event of a function:
// permissions for push sources, event source mappings (and role policies)
// for pull sources, and routes on APIs.
//
// A problem with one event leaves t.curEv set to it, so that the next pass
// leaves out just that event.
func (t *transformer) functionEvents(b *functionBuild, pass []source.Field) error {
	evs := t.events(b.r)
	for _, ev := range evs {
		t.curEv = ev
		if err := t.checkEvent(b.r, ev); err != nil {
			return err
		}
	}
	for _, ev := range orderedEvents(evs) {
		t.curEv = ev
		if err := t.functionEvent(b, ev, pass); err != nil {
			return err
		}
	}
	t.curEv = nil
	return nil
}

func (t *transformer) functionEvent(b *functionBuild, ev *event, pass []source.Field) error {
	switch ev.typ {
	case "S3":
		return t.s3Event(b, ev, pass)
	case "SNS":
		return t.snsEvent(b, ev, pass)
	case "Kinesis", "DynamoDB", "SQS", "MSK", "MQ", "SelfManagedKafka", "DocumentDB":
		_, err := t.pullEvent(b, ev, ev.logicalID, pass)
		return err
	case "Api":
		return t.restAPIEvent(b, ev, pass)
	case "HttpApi":
		return t.httpAPIEvent(b, ev, pass)
	case "Schedule":
		return t.scheduleEvent(b, ev, pass)
	case "ScheduleV2":
		return t.scheduleV2Event(b.r, ev, b.target.arn(ev.pos), true, pass)
	case "CloudWatchEvent", "EventBridgeRule":
		return t.ruleEvent(b, ev, pass)
	case "CloudWatchLogs":
		return t.logsEvent(b, ev, pass)
	case "IoTRule":
		return t.iotEvent(b, ev, pass)
	case "AlexaSkill":
		t.permission(b.r, ev.logicalID, "", b.target, ev.keyPos, pass, "alexa-appkit.amazon.com", nil, nil, ev.prop("SkillId"))
		return nil
	case "Cognito":
		return t.cognitoEvent(b, ev, pass)
	}
	return t.invalidEvent(b.r, ev, ev.keyPos, "Event type '%s' is not supported.", ev.typ)
}

// permission adds the AWS::Lambda::Permission that lets a service invoke the
// function (or its alias). Its logical ID is <prefix>Permission<suffix>,
// hashed when the suffix is not alphanumeric.
func (t *transformer) permission(r *resource, prefix, suffix string, target functionTarget, pos source.Pos,
	attrs []source.Field, principal string, sourceArn, sourceAccount, token *source.Node) string {
	id := prefix + "Permission" + suffix
	if suffix != "" && !isAlnum(suffix) {
		id = hashString(prefix+"Permission", suffix)
	}
	t.emit(r, id, resourceNode("AWS::Lambda::Permission", pos, attrs, obj(pos,
		"Action", str("lambda:InvokeFunction", pos),
		"FunctionName", target.name(pos),
		"Principal", str(principal, pos),
		"SourceArn", sourceArn,
		"SourceAccount", sourceAccount,
		"EventSourceToken", token,
	)), pos)
	return id
}

func (t *transformer) s3Event(b *functionBuild, ev *event, pass []source.Field) error {
	r := b.r
	bucketRef := ev.prop("Bucket")
	bucketID, ok := refTarget(bucketRef)
	bucket := t.byID[bucketID]
	if !ok || bucket == nil {
		if name, arg, isFn := bucketRef.Intrinsic(); isFn && name == "Ref" && arg.Kind != source.String {
			return t.invalidEvent(r, ev, bucketRef.Pos, "'Ref' value in S3 events is not a valid string.")
		}
		return t.invalidEvent(r, ev, ev.propPos("Bucket"), "S3 events must reference an S3 bucket in the same template.")
	}
	permID := t.permission(r, ev.logicalID, "", b.target, ev.keyPos, pass, "s3.amazonaws.com", nil, ref("AWS::AccountId", ev.keyPos), nil)
	t.own(bucket)
	props := bucket.node.Get("Properties")
	cond := r.condition()
	if cond != "" {
		if props == nil {
			props = obj(bucket.node.Pos)
			set(bucket.node, "Properties", props)
		}
		tags := props.Get("Tags")
		if tags == nil {
			tags = list(ev.keyPos)
			set(props, "Tags", tags)
		}
		if tags.Kind != source.Seq {
			return t.invalid(bucket, tags.Pos, "Property 'Tags' should be a list.")
		}
		tags.Items = append(tags.Items, obj(ev.keyPos,
			"Key", str("sam:ConditionalDependsOn:"+permID, ev.keyPos),
			"Value", fnIf(cond, ref(permID, ev.keyPos), str("no dependency", ev.keyPos), ev.keyPos)))
	} else {
		deps := bucket.node.Get("DependsOn")
		var items []*source.Node
		switch {
		case deps == nil:
		case deps.Kind == source.String:
			items = []*source.Node{deps}
		case deps.Kind == source.Seq:
			for _, d := range itemsOf(deps) {
				if d.Kind != source.String {
					return t.invalid(r, d.Pos, "Invalid type for field 'DependsOn'. Expected a string or list of strings.")
				}
			}
			items = deps.Items
		default:
			return t.invalid(r, deps.Pos, "Invalid type for field 'DependsOn'. Expected a string or list of strings.")
		}
		out := list(ev.keyPos)
		seen := map[string]bool{}
		for _, d := range items {
			if !seen[d.Value] {
				seen[d.Value] = true
				out.Items = append(out.Items, d)
			}
		}
		if !seen[permID] {
			out.Items = append(out.Items, str(permID, ev.keyPos))
		}
		set(bucket.node, "DependsOn", out)
	}
	if err := t.injectS3Notification(b, ev, bucket); err != nil {
		return err
	}
	t.emit(r, bucket.id, bucket.node, ev.keyPos)
	return nil
}

func (t *transformer) injectS3Notification(b *functionBuild, ev *event, bucket *resource) error {
	props := bucket.node.Get("Properties")
	if props == nil {
		props = obj(bucket.node.Pos)
		set(bucket.node, "Properties", props)
	}
	if props.Kind != source.Map {
		return t.invalid(bucket, props.Pos, "Properties should be a map.")
	}
	nc := props.Get("NotificationConfiguration")
	if nc == nil {
		nc = obj(ev.keyPos)
		set(props, "NotificationConfiguration", nc)
	}
	if nc.Kind != source.Map {
		return t.invalid(bucket, nc.Pos, "Property 'NotificationConfiguration' should be a map.")
	}
	lc := nc.Get("LambdaConfigurations")
	if lc == nil {
		lc = list(ev.keyPos)
		set(nc, "LambdaConfigurations", lc)
	}
	if lc.Kind != source.Seq {
		return t.invalid(bucket, lc.Pos, "Invalid type for LambdaConfigurations. Must be a list.")
	}
	types := ev.prop("Events")
	eventTypes := oneOrMany(types)
	for _, typ := range eventTypes {
		entry := obj(typ.Pos, "Function", b.target.arn(ev.keyPos), "Filter", ev.prop("Filter"), "Event", typ)
		if cond := b.r.condition(); cond != "" {
			entry = fnIf(cond, entry, noValue(typ.Pos), typ.Pos)
		}
		dup := false
		for _, existing := range itemsOf(lc) {
			if equal(existing, entry) {
				dup = true
				break
			}
		}
		if !dup {
			lc.Items = append(lc.Items, entry)
		}
	}
	return nil
}

func (t *transformer) snsEvent(b *functionBuild, ev *event, pass []source.Field) error {
	r := b.r
	topic := ev.prop("Topic")
	subscription := func(protocol string, endpoint *source.Node) {
		t.emit(r, ev.logicalID, resourceNode("AWS::SNS::Subscription", ev.keyPos, pass, obj(ev.keyPos,
			"Endpoint", endpoint,
			"Protocol", str(protocol, ev.keyPos),
			"TopicArn", topic,
			"Region", ev.prop("Region"),
			"FilterPolicy", ev.prop("FilterPolicy"),
			"FilterPolicyScope", ev.prop("FilterPolicyScope"),
			"RedrivePolicy", ev.prop("RedrivePolicy"),
		)), ev.keyPos)
	}
	sqsSub := ev.prop("SqsSubscription")
	if !truthy(sqsSub) {
		t.permission(r, ev.logicalID, "", b.target, ev.keyPos, pass, "sns.amazonaws.com", topic, nil, nil)
		subscription("lambda", b.target.arn(ev.keyPos))
		return nil
	}
	pos := sqsSub.Pos
	var queueArn, queueURL *source.Node
	var batch *source.Node
	policyID := ev.logicalID + "QueuePolicy"
	if sqsSub.Kind == source.Bool {
		queueID := ev.logicalID + "Queue"
		queueProps := obj(pos)
		if t.isFifoTopic(logicalIDOf(topic)) {
			set(queueProps, "FifoQueue", boolean(true, pos))
		}
		t.emit(r, queueID, resourceNode("AWS::SQS::Queue", pos, pass, queueProps), pos)
		queueArn, queueURL = getAtt(queueID, "Arn", pos), ref(queueID, pos)
	} else {
		if sqsSub.Kind != source.Map {
			return t.invalidEvent(r, ev, pos, "Property 'SqsSubscription' should be a map.")
		}
		queueArn, queueURL = sqsSub.Get("QueueArn"), sqsSub.Get("QueueUrl")
		if !truthy(queueArn) || !truthy(queueURL) {
			return t.invalidEvent(r, ev, pos, "No QueueARN or QueueURL provided.")
		}
		if id, ok := stringValue(sqsSub.Get("QueuePolicyLogicalId")); ok {
			policyID = id
		}
		batch = sqsSub.Get("BatchSize")
	}
	if !truthy(batch) {
		batch = number(10, pos)
	}
	t.emit(r, policyID, resourceNode("AWS::SQS::QueuePolicy", pos, pass, obj(pos,
		"PolicyDocument", obj(pos, "Version", str("2012-10-17", pos), "Statement", list(pos, obj(pos,
			"Action", str("sqs:SendMessage", pos),
			"Effect", str("Allow", pos),
			"Principal", str("*", pos),
			"Resource", queueArn,
			"Condition", obj(pos, "ArnEquals", obj(pos, "aws:SourceArn", topic)),
		))),
		"Queues", list(pos, queueURL),
	)), pos)
	subscription("sqs", queueArn)
	esm := &event{id: ev.id, typ: "SQS", keyPos: ev.keyPos, pos: pos, node: ev.node, logicalID: ev.logicalID + "EventSourceMapping",
		props: obj(pos, "Queue", queueArn, "BatchSize", batch, "Enabled", boolean(true, pos))}
	_, err := t.pullEvent(b, esm, esm.logicalID, pass)
	return err
}

// isFifoTopic reports whether the template's topic sets FifoTopic.
func (t *transformer) isFifoTopic(id string) bool {
	r := t.byID[id]
	if r == nil {
		return false
	}
	v, err := t.resolveParams(r.node.Get("Properties").Get("FifoTopic"))
	return err == nil && truthy(v)
}

func (t *transformer) scheduleEvent(b *functionBuild, ev *event, pass []source.Field) error {
	r := b.r
	state, enabled := ev.prop("State"), ev.prop("Enabled")
	if truthy(state) && enabled != nil {
		return t.invalidEvent(r, ev, enabled.Pos, "State and Enabled Properties cannot both be specified.")
	}
	rule := obj(ev.keyPos, "ScheduleExpression", ev.prop("Schedule"))
	if truthy(state) {
		set(rule, "State", state)
	}
	if enabled != nil {
		set(rule, "State", str(enabledState(enabled), enabled.Pos))
	}
	if v := ev.prop("Name"); v != nil {
		set(rule, "Name", v)
	}
	if v := ev.prop("Description"); v != nil {
		set(rule, "Description", v)
	}
	ruleArn := getAtt(ev.logicalID, "Arn", ev.keyPos)
	dlqArn, err := t.ruleDLQ(r, ev, ruleArn, pass)
	if err != nil {
		return err
	}
	set(rule, "Targets", list(ev.keyPos, t.lambdaRuleTarget(b, ev, dlqArn)))
	t.emit(r, ev.logicalID, resourceNode("AWS::Events::Rule", ev.keyPos, pass, rule), ev.keyPos)
	t.permission(r, ev.logicalID, "", b.target, ev.keyPos, pass, "events.amazonaws.com", ruleArn, nil, nil)
	return nil
}

func enabledState(enabled *source.Node) string {
	if truthy(enabled) {
		return "ENABLED"
	}
	return "DISABLED"
}

func (t *transformer) ruleEvent(b *functionBuild, ev *event, pass []source.Field) error {
	r := b.r
	rule := obj(ev.keyPos,
		"EventBusName", ev.prop("EventBusName"),
		"EventPattern", ev.prop("Pattern"),
		"Name", ev.prop("RuleName"))
	ruleArn := getAtt(ev.logicalID, "Arn", ev.keyPos)
	dlqArn, err := t.ruleDLQ(r, ev, ruleArn, pass)
	if err != nil {
		return err
	}
	state, enabled := ev.prop("State"), ev.prop("Enabled")
	if truthy(state) && enabled != nil {
		return t.invalidEvent(r, ev, enabled.Pos, "State and Enabled Properties cannot both be specified.")
	}
	if truthy(state) {
		set(rule, "State", state)
	}
	if enabled != nil {
		set(rule, "State", str(enabledState(enabled), enabled.Pos))
	}
	set(rule, "Targets", list(ev.keyPos, t.lambdaRuleTarget(b, ev, dlqArn)))
	t.emit(r, ev.logicalID, resourceNode("AWS::Events::Rule", ev.keyPos, pass, rule), ev.keyPos)
	t.permission(r, ev.logicalID, "", b.target, ev.keyPos, pass, "events.amazonaws.com", ruleArn, nil, nil)
	return nil
}

func (t *transformer) lambdaRuleTarget(b *functionBuild, ev *event, dlqArn *source.Node) *source.Node {
	id := str(ruleTargetID(ev.logicalID, "LambdaTarget"), ev.keyPos)
	if target := ev.prop("Target"); target != nil && target.Get("Id") != nil {
		id = target.Get("Id")
	}
	target := obj(ev.keyPos, "Arn", b.target.arn(ev.keyPos), "Id", id,
		"Input", ev.prop("Input"), "InputPath", ev.prop("InputPath"))
	if ev.prop("DeadLetterConfig") != nil {
		set(target, "DeadLetterConfig", obj(ev.propPos("DeadLetterConfig"), "Arn", dlqArn))
	}
	if v := ev.prop("RetryPolicy"); v != nil {
		set(target, "RetryPolicy", v)
	}
	if v := ev.prop("InputTransformer"); v != nil {
		set(target, "InputTransformer", v)
	}
	return target
}

// ruleTargetID keeps an EventBridge target ID within its 64 characters.
func ruleTargetID(logicalID, suffix string) string {
	const most = 64
	if len(logicalID)+len(suffix) <= most {
		return logicalID + suffix
	}
	return logicalID[:most-len(suffix)] + suffix
}

// ruleDLQ validates an event's DeadLetterConfig and, for Type: SQS, creates
// the queue and its policy. It returns the queue ARN for the target.
func (t *transformer) ruleDLQ(r *resource, ev *event, ruleArn *source.Node, pass []source.Field) (*source.Node, error) {
	cfg := ev.prop("DeadLetterConfig")
	if cfg == nil {
		return nil, nil
	}
	if err := t.validateRuleDLQ(r, ev, cfg); err != nil {
		return nil, err
	}
	if arn := cfg.Get("Arn"); arn != nil {
		return arn, nil
	}
	queueID := ev.logicalID + "Queue"
	if q := cfg.Get("QueueLogicalId"); q != nil {
		s, ok := stringValue(q)
		if !ok {
			return nil, t.invalidEvent(r, ev, q.Pos, "QueueLogicalId must be a string")
		}
		queueID = s
	}
	pos := cfg.Pos
	queueArn := getAtt(queueID, "Arn", pos)
	t.emit(r, queueID, resourceNode("AWS::SQS::Queue", pos, pass, nil), pos)
	t.emit(r, ev.logicalID+"QueuePolicy", resourceNode("AWS::SQS::QueuePolicy", pos, pass, obj(pos,
		"PolicyDocument", obj(pos, "Version", str("2012-10-17", pos), "Statement", list(pos, obj(pos,
			"Action", str("sqs:SendMessage", pos),
			"Effect", str("Allow", pos),
			"Principal", obj(pos, "Service", str("events.amazonaws.com", pos)),
			"Resource", queueArn,
			"Condition", obj(pos, "ArnEquals", obj(pos, "aws:SourceArn", ruleArn)),
		))),
		"Queues", list(pos, ref(queueID, pos)),
	)), pos)
	return queueArn, nil
}

func (t *transformer) validateRuleDLQ(r *resource, ev *event, cfg *source.Node) error {
	hasArn, hasType := cfg.Get("Arn") != nil, cfg.Get("Type") != nil
	switch {
	case hasArn && hasType:
		return t.invalidEvent(r, ev, cfg.Pos, "You can either define 'Arn' or 'Type' property of DeadLetterConfig.")
	case hasType:
		if s, _ := stringValue(cfg.Get("Type")); s != "SQS" {
			return t.invalidEvent(r, ev, cfg.Get("Type").Pos, "The only valid value for 'Type' property of DeadLetterConfig is 'SQS'.")
		}
	case !hasArn:
		return t.invalidEvent(r, ev, cfg.Pos, "No 'Arn' or 'Type' property provided for DeadLetterConfig.")
	}
	return nil
}

func (t *transformer) logsEvent(b *functionBuild, ev *event, pass []source.Field) error {
	r := b.r
	group := ev.prop("LogGroupName")
	sourceArn := fnSubVars("arn:"+t.partition+":logs:${AWS::Region}:${AWS::AccountId}:log-group:${__LogGroupName__}:*",
		ev.keyPos, "__LogGroupName__", group)
	permID := t.permission(r, ev.logicalID, "", b.target, ev.keyPos, pass, "logs.amazonaws.com", sourceArn, nil, nil)
	attrs := append([]source.Field{{Key: "DependsOn", KeyPos: ev.keyPos, Value: strList(ev.keyPos, permID)}}, pass...)
	t.emit(r, ev.logicalID, resourceNode("AWS::Logs::SubscriptionFilter", ev.keyPos, attrs, obj(ev.keyPos,
		"DestinationArn", b.target.arn(ev.keyPos),
		"FilterPattern", ev.prop("FilterPattern"),
		"LogGroupName", group,
	)), ev.keyPos)
	return nil
}

func (t *transformer) iotEvent(b *functionBuild, ev *event, pass []source.Field) error {
	r := b.r
	sourceArn := fnSubVars("arn:"+t.partition+":iot:${AWS::Region}:${AWS::AccountId}:rule/${RuleName}", ev.keyPos,
		"RuleName", ref(ev.logicalID, ev.keyPos))
	t.permission(r, ev.logicalID, "", b.target, ev.keyPos, pass, "iot.amazonaws.com", sourceArn, fnSub("${AWS::AccountId}", ev.keyPos), nil)
	payload := obj(ev.keyPos,
		"Sql", ev.prop("Sql"),
		"RuleDisabled", boolean(false, ev.keyPos),
		"Actions", list(ev.keyPos, obj(ev.keyPos, "Lambda", obj(ev.keyPos, "FunctionArn", b.target.arn(ev.keyPos)))))
	if v := ev.prop("AwsIotSqlVersion"); truthy(v) {
		set(payload, "AwsIotSqlVersion", v)
	}
	t.emit(r, ev.logicalID, resourceNode("AWS::IoT::TopicRule", ev.keyPos, pass, obj(ev.keyPos, "TopicRulePayload", payload)), ev.keyPos)
	return nil
}

func (t *transformer) cognitoEvent(b *functionBuild, ev *event, pass []source.Field) error {
	r := b.r
	poolRef := ev.prop("UserPool")
	poolID, ok := refTarget(poolRef)
	pool := t.byID[poolID]
	if !ok || pool == nil {
		return t.invalidEvent(r, ev, ev.propPos("UserPool"), "Cognito events must reference a Cognito UserPool in the same template.")
	}
	t.permission(r, b.target.logicalID+"Cognito", "", b.target, ev.keyPos, pass, "cognito-idp.amazonaws.com",
		getAtt(poolID, "Arn", ev.keyPos), nil, nil)
	t.own(pool)
	props := pool.node.Get("Properties")
	if props == nil {
		props = obj(pool.node.Pos)
		set(pool.node, "Properties", props)
	}
	lc := props.Get("LambdaConfig")
	if lc == nil {
		lc = obj(ev.keyPos)
		set(props, "LambdaConfig", lc)
	}
	if lc.Kind != source.Map {
		return t.invalid(pool, lc.Pos, "Property 'LambdaConfig' should be a map.")
	}
	triggers := ev.prop("Trigger")
	names := oneOrMany(triggers)
	for _, n := range names {
		name, _ := n.Str()
		if lc.Get(name) != nil {
			shown := name
			if triggers.Kind == source.Seq {
				shown = "[" + strings.Join(quotedValues(triggers), ", ") + "]"
			}
			return t.invalidEvent(r, ev, n.Pos, "Cognito trigger \"%s\" defined multiple times.", shown)
		}
		lc.Fields = append(lc.Fields, source.Field{Key: name, KeyPos: n.Pos, Value: b.target.arn(n.Pos)})
	}
	t.emit(r, pool.id, pool.node, ev.keyPos)
	return nil
}

func quotedValues(n *source.Node) []string {
	out := make([]string, len(n.Items))
	for i, it := range itemsOf(n) {
		out[i] = "'" + it.Value + "'"
	}
	return out
}
