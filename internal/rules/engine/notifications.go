package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/trailwatch/trailwatch/internal/alarm"
	"github.com/trailwatch/trailwatch/internal/cloudtrail"
	"github.com/trailwatch/trailwatch/internal/rules"
)

// Actor is what BasicActor reports: userIdentity as CloudTrail records it.
type Actor struct {
	Type          string `json:"type,omitempty"`
	ARN           string `json:"arn,omitempty"`
	AccountID     string `json:"accountId,omitempty"`
	PrincipalID   string `json:"principalId,omitempty"`
	UserName      string `json:"userName,omitempty"`
	SessionIssuer string `json:"sessionIssuer,omitempty"` // ARN of the role behind an assumed-role session
	InvokedBy     string `json:"invokedBy,omitempty"`
}

// Who names the principal: its ARN, or its type when it has none.
func (a Actor) Who() string {
	switch {
	case a.ARN != "":
		return a.ARN
	case a.InvokedBy != "":
		return a.InvokedBy
	case a.Type != "":
		return a.Type
	}
	return "unknown"
}

// BasicActor reads the actor from userIdentity without resolving chains.
func BasicActor(rec *cloudtrail.Record) any {
	ui := rec.JSON.Get("userIdentity")
	if ui == nil {
		return Actor{}
	}
	s := func(keys ...string) string { return string(ui.GetStringBytes(keys...)) }
	a := Actor{
		Type: s("type"), ARN: s("arn"), AccountID: s("accountId"), PrincipalID: s("principalId"),
		UserName: s("userName"), SessionIssuer: s("sessionContext", "sessionIssuer", "arn"), InvokedBy: s("invokedBy"),
	}
	if a.UserName == "" {
		a.UserName = s("sessionContext", "sessionIssuer", "userName")
	}
	return a
}

func (p *Program) transitionOutputs(tr alarm.Transition) []Output {
	ar := p.alarms[tr.Alarm]
	out := []Output{{Kind: KindTransition, Transition: &Transition{Transition: tr, Alarm: ar.def}}}
	if !ar.def.Enabled() {
		return out
	}
	var actions []string
	switch tr.To {
	case alarm.Alarm:
		actions = ar.def.AlarmActions
	case alarm.OK:
		actions = ar.def.OKActions
	default:
		actions = ar.def.InsufficientDataActions
	}
	if len(actions) == 0 {
		return out
	}
	subject := fmt.Sprintf("%s: %q in %s", tr.To, ar.def.AlarmName, regionName(p.opts.Region))
	msg := p.alarmMessage(ar.def, tr)
	var actors []string
	if tr.To == alarm.Alarm {
		actors = ar.actorsBefore(tr.Time)
	}
	for _, arn := range actions {
		out = append(out, Output{Kind: KindNotification, Notification: &Notification{
			Time: tr.Time, ARN: arn, Target: p.set.Target(arn), Alarm: ar.def.AlarmName, State: tr.To.String(),
			Subject: subject, Message: msg, Actors: actors,
		}})
	}
	return out
}

func (p *Program) subscriptionOutputs(pm pendingMatch) []Output {
	var f *filter
	for _, x := range p.filters {
		if x.name == pm.m.Filter && x.subscription {
			f = x
			break
		}
	}
	if f == nil || f.dest == "" {
		return nil
	}
	subject := pm.m.Filter
	if pm.m.EventName != "" {
		subject += ": " + pm.m.EventName
	}
	var actors []string
	if d, ok := pm.m.Actor.(Describer); ok {
		who := d.Who()
		subject += " by " + who
		actors = []string{who}
	}
	return []Output{{Kind: KindNotification, Notification: &Notification{
		Time: pm.m.EventTime, ARN: f.dest, Target: p.set.Target(f.dest), Filter: pm.m.Filter, EventID: pm.m.EventID,
		Subject: subject, Message: pm.msg, Actors: actors,
	}}}
}

// alarmMessage is the JSON CloudWatch publishes to SNS for an alarm state
// change (the "Message" of the SNS notification).
func (p *Program) alarmMessage(a *rules.Alarm, tr alarm.Transition) string {
	type dimension struct {
		Value string `json:"value"`
		Name  string `json:"name"`
	}
	type trigger struct {
		MetricName                       string      `json:"MetricName"`
		Namespace                        string      `json:"Namespace"`
		StatisticType                    string      `json:"StatisticType"`
		Statistic                        string      `json:"Statistic"`
		Unit                             *string     `json:"Unit"`
		Dimensions                       []dimension `json:"Dimensions"`
		Period                           int         `json:"Period"`
		EvaluationPeriods                int         `json:"EvaluationPeriods"`
		DatapointsToAlarm                int         `json:"DatapointsToAlarm"`
		ComparisonOperator               string      `json:"ComparisonOperator"`
		Threshold                        float64     `json:"Threshold"`
		TreatMissingData                 string      `json:"TreatMissingData"`
		EvaluateLowSampleCountPercentile string      `json:"EvaluateLowSampleCountPercentile"`
	}
	type message struct {
		AlarmName               string   `json:"AlarmName"`
		AlarmDescription        *string  `json:"AlarmDescription"`
		AWSAccountID            string   `json:"AWSAccountId"`
		NewStateValue           string   `json:"NewStateValue"`
		NewStateReason          string   `json:"NewStateReason"`
		StateChangeTime         string   `json:"StateChangeTime"`
		Region                  string   `json:"Region"`
		AlarmArn                string   `json:"AlarmArn"`
		OldStateValue           string   `json:"OldStateValue"`
		OKActions               []string `json:"OKActions"`
		AlarmActions            []string `json:"AlarmActions"`
		InsufficientDataActions []string `json:"InsufficientDataActions"`
		Trigger                 trigger  `json:"Trigger"`
	}
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	m := message{
		AlarmName:               a.AlarmName,
		AWSAccountID:            p.opts.AccountID,
		NewStateValue:           tr.To.String(),
		NewStateReason:          tr.Reason,
		StateChangeTime:         tr.Time.UTC().Format("2006-01-02T15:04:05.000-0700"),
		Region:                  regionName(p.opts.Region),
		AlarmArn:                fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", p.opts.Region, p.opts.AccountID, a.AlarmName),
		OldStateValue:           tr.From.String(),
		OKActions:               nz(a.OKActions),
		AlarmActions:            nz(a.AlarmActions),
		InsufficientDataActions: nz(a.InsufficientDataActions),
		Trigger: trigger{
			MetricName: a.MetricName, Namespace: a.Namespace, StatisticType: "Statistic",
			Statistic: strings.ToUpper(a.Statistic), Dimensions: []dimension{}, Period: a.Period,
			EvaluationPeriods: a.EvaluationPeriods, DatapointsToAlarm: a.DatapointsToAlarm,
			ComparisonOperator: a.ComparisonOperator, Threshold: a.Threshold, TreatMissingData: a.TreatMissingData,
		},
	}
	if m.Trigger.DatapointsToAlarm == 0 {
		m.Trigger.DatapointsToAlarm = a.EvaluationPeriods
	}
	if m.Trigger.TreatMissingData == "" {
		m.Trigger.TreatMissingData = "missing"
	}
	if a.AlarmDescription != "" {
		d := a.AlarmDescription
		m.AlarmDescription = &d
	}
	if a.Unit != "" {
		u := a.Unit
		m.Trigger.Unit = &u
	}
	for _, d := range a.Dimensions {
		m.Trigger.Dimensions = append(m.Trigger.Dimensions, dimension{Value: d.Value, Name: d.Name})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "OK -> ALARM", as CloudWatch writes it
	if err := enc.Encode(m); err != nil {
		return "{}"
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// regionName is the name SNS alarm notifications use for a region.
func regionName(code string) string {
	switch code {
	case "us-east-1":
		return "US East (N. Virginia)"
	case "us-east-2":
		return "US East (Ohio)"
	case "us-west-1":
		return "US West (N. California)"
	case "us-west-2":
		return "US West (Oregon)"
	case "ap-northeast-1":
		return "Asia Pacific (Tokyo)"
	case "ap-northeast-2":
		return "Asia Pacific (Seoul)"
	case "ap-northeast-3":
		return "Asia Pacific (Osaka)"
	case "ap-southeast-1":
		return "Asia Pacific (Singapore)"
	case "ap-southeast-2":
		return "Asia Pacific (Sydney)"
	case "ap-south-1":
		return "Asia Pacific (Mumbai)"
	case "ca-central-1":
		return "Canada (Central)"
	case "eu-central-1":
		return "EU (Frankfurt)"
	case "eu-west-1":
		return "EU (Ireland)"
	case "eu-west-2":
		return "EU (London)"
	case "eu-west-3":
		return "EU (Paris)"
	case "eu-north-1":
		return "EU (Stockholm)"
	case "sa-east-1":
		return "South America (Sao Paulo)"
	}
	return code
}
