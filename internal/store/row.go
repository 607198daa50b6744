package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// CloudTrailRow is one CloudTrail record with exactly the columns, names and
// types of the Athena CloudTrail table (cloudtrail_logs_pp,
// https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html).
// Athena reads the JSON with the Hive JsonSerDe, so a field that is missing
// or null is NULL, a scalar read into a STRING column is its JSON text
// (readonly is "true"/"false"), and requestparameters, responseelements,
// additionaleventdata and serviceeventdetails hold the JSON text of the
// object. Empty strings are stored as NULL (optional columns); CloudTrail
// does not use "" to mean anything else.
type CloudTrailRow struct {
	EventVersion                 string        `parquet:"eventversion,optional,dict"`
	UserIdentity                 *UserIdentity `parquet:"useridentity,optional"`
	EventTime                    string        `parquet:"eventtime,optional"`
	EventSource                  string        `parquet:"eventsource,optional,dict"`
	EventName                    string        `parquet:"eventname,optional,dict"`
	AWSRegion                    string        `parquet:"awsregion,optional,dict"`
	SourceIPAddress              string        `parquet:"sourceipaddress,optional,dict"`
	UserAgent                    string        `parquet:"useragent,optional,dict"`
	ErrorCode                    string        `parquet:"errorcode,optional,dict"`
	ErrorMessage                 string        `parquet:"errormessage,optional"`
	RequestParameters            string        `parquet:"requestparameters,optional"`
	ResponseElements             string        `parquet:"responseelements,optional"`
	AdditionalEventData          string        `parquet:"additionaleventdata,optional"`
	RequestID                    string        `parquet:"requestid,optional,uncompressed"`
	EventID                      string        `parquet:"eventid,optional,uncompressed"`
	ReadOnly                     string        `parquet:"readonly,optional,dict"`
	Resources                    []Resource    `parquet:"resources,optional,list"`
	EventType                    string        `parquet:"eventtype,optional,dict"`
	APIVersion                   string        `parquet:"apiversion,optional,dict"`
	RecipientAccountID           string        `parquet:"recipientaccountid,optional,dict"`
	ServiceEventDetails          string        `parquet:"serviceeventdetails,optional"`
	SharedEventID                string        `parquet:"sharedeventid,optional"`
	VPCEndpointID                string        `parquet:"vpcendpointid,optional,dict"`
	VPCEndpointAccountID         string        `parquet:"vpcendpointaccountid,optional,dict"`
	EventCategory                string        `parquet:"eventcategory,optional,dict"`
	Addendum                     *Addendum     `parquet:"addendum,optional"`
	SessionCredentialFromConsole string        `parquet:"sessioncredentialfromconsole,optional,dict"`
	EdgeDeviceDetails            string        `parquet:"edgedevicedetails,optional"`
	TLSDetails                   *TLSDetails   `parquet:"tlsdetails,optional"`
	// ActorKey is not Athena's: it joins the row to its actor in the
	// actors table (NULL when the ingest resolved no actors). The
	// cloudtrail_logs view leaves it out.
	ActorKey *int64 `parquet:"actorkey,optional,dict"`
}

// UserIdentity is the useridentity struct column.
type UserIdentity struct {
	Type           string          `parquet:"type,optional,dict"`
	PrincipalID    string          `parquet:"principalid,optional,dict"`
	ARN            string          `parquet:"arn,optional,dict"`
	AccountID      string          `parquet:"accountid,optional,dict"`
	InvokedBy      string          `parquet:"invokedby,optional,dict"`
	AccessKeyID    string          `parquet:"accesskeyid,optional"`
	UserName       string          `parquet:"username,optional,dict"`
	OnBehalfOf     *OnBehalfOf     `parquet:"onbehalfof,optional"`
	SessionContext *SessionContext `parquet:"sessioncontext,optional"`
}

// OnBehalfOf is useridentity.onbehalfof (IAM Identity Center users).
type OnBehalfOf struct {
	UserID           string `parquet:"userid,optional"`
	IdentityStoreARN string `parquet:"identitystorearn,optional"`
}

// SessionContext is useridentity.sessioncontext.
type SessionContext struct {
	Attributes          *SessionAttributes   `parquet:"attributes,optional"`
	SessionIssuer       *SessionIssuer       `parquet:"sessionissuer,optional"`
	EC2RoleDelivery     string               `parquet:"ec2roledelivery,optional,dict"`
	WebIDFederationData *WebIDFederationData `parquet:"webidfederationdata,optional"`
}

// SessionAttributes is sessioncontext.attributes.
type SessionAttributes struct {
	MFAAuthenticated string `parquet:"mfaauthenticated,optional,dict"`
	CreationDate     string `parquet:"creationdate,optional"`
}

// SessionIssuer is sessioncontext.sessionissuer.
type SessionIssuer struct {
	Type        string `parquet:"type,optional,dict"`
	PrincipalID string `parquet:"principalid,optional,dict"`
	ARN         string `parquet:"arn,optional,dict"`
	AccountID   string `parquet:"accountid,optional,dict"`
	UserName    string `parquet:"username,optional,dict"`
}

// WebIDFederationData is sessioncontext.webidfederationdata.
type WebIDFederationData struct {
	FederatedProvider string            `parquet:"federatedprovider,optional"`
	Attributes        map[string]string `parquet:"attributes,optional"`
}

// Resource is one element of the resources array.
type Resource struct {
	ARN       string `parquet:"arn,optional"`
	AccountID string `parquet:"accountid,optional"`
	Type      string `parquet:"type,optional"`
}

// Addendum is the addendum struct column.
type Addendum struct {
	Reason            string `parquet:"reason,optional"`
	UpdatedFields     string `parquet:"updatedfields,optional"`
	OriginalRequestID string `parquet:"originalrequestid,optional"`
	OriginalEventID   string `parquet:"originaleventid,optional"`
}

// TLSDetails is the tlsdetails struct column.
type TLSDetails struct {
	TLSVersion               string `parquet:"tlsversion,optional,dict"`
	CipherSuite              string `parquet:"ciphersuite,optional,dict"`
	ClientProvidedHostHeader string `parquet:"clientprovidedhostheader,optional,dict"`
}

// Partition is where a record is stored: the Hive partition values.
// CloudTrail partitions by account, region and date; S3 access logs by
// bucket and date.
type Partition struct {
	Account, Region, Date string // Date is YYYY-MM-DD (UTC)
	Bucket                string
}

// Path is the partition's directory below a table's directory.
func (p Partition) Path() string {
	if p.Bucket != "" {
		return "bucket=" + p.Bucket + "/date=" + p.Date
	}
	return "account=" + p.Account + "/region=" + p.Region + "/date=" + p.Date
}

// RowFromJSON fills row from one parsed CloudTrail record (reusing row's
// nested structs) and returns its partition: the recipient account (or the
// caller's), the record's region and the UTC date of its eventTime.
// Unknown values partition as "unknown".
func RowFromJSON(v *fastjson.Value, row *CloudTrailRow) Partition {
	*row = CloudTrailRow{
		EventVersion:                 text(v.Get("eventVersion")),
		UserIdentity:                 userIdentity(v.Get("userIdentity")),
		EventTime:                    text(v.Get("eventTime")),
		EventSource:                  text(v.Get("eventSource")),
		EventName:                    text(v.Get("eventName")),
		AWSRegion:                    text(v.Get("awsRegion")),
		SourceIPAddress:              text(v.Get("sourceIPAddress")),
		UserAgent:                    text(v.Get("userAgent")),
		ErrorCode:                    text(v.Get("errorCode")),
		ErrorMessage:                 text(v.Get("errorMessage")),
		RequestParameters:            text(v.Get("requestParameters")),
		ResponseElements:             text(v.Get("responseElements")),
		AdditionalEventData:          text(v.Get("additionalEventData")),
		RequestID:                    text(v.Get("requestID")),
		EventID:                      text(v.Get("eventID")),
		ReadOnly:                     text(v.Get("readOnly")),
		EventType:                    text(v.Get("eventType")),
		APIVersion:                   text(v.Get("apiVersion")),
		RecipientAccountID:           text(v.Get("recipientAccountId")),
		ServiceEventDetails:          text(v.Get("serviceEventDetails")),
		SharedEventID:                text(v.Get("sharedEventID")),
		VPCEndpointID:                text(v.Get("vpcEndpointId")),
		VPCEndpointAccountID:         text(v.Get("vpcEndpointAccountId")),
		EventCategory:                text(v.Get("eventCategory")),
		SessionCredentialFromConsole: text(v.Get("sessionCredentialFromConsole")),
		EdgeDeviceDetails:            text(v.Get("edgeDeviceDetails")),
	}
	if rs := v.GetArray("resources"); len(rs) > 0 {
		row.Resources = make([]Resource, 0, len(rs))
		for _, r := range rs {
			row.Resources = append(row.Resources, Resource{ARN: text(r.Get("ARN")), AccountID: text(r.Get("accountId")), Type: text(r.Get("type"))})
		}
	}
	if a := v.Get("addendum"); a != nil && a.Type() == fastjson.TypeObject {
		row.Addendum = &Addendum{Reason: text(a.Get("reason")), UpdatedFields: text(a.Get("updatedFields")),
			OriginalRequestID: text(a.Get("originalRequestID")), OriginalEventID: text(a.Get("originalEventID"))}
	}
	if t := v.Get("tlsDetails"); t != nil && t.Type() == fastjson.TypeObject {
		row.TLSDetails = &TLSDetails{TLSVersion: text(t.Get("tlsVersion")), CipherSuite: text(t.Get("cipherSuite")),
			ClientProvidedHostHeader: text(t.Get("clientProvidedHostHeader"))}
	}

	p := Partition{Account: row.RecipientAccountID, Region: row.AWSRegion, Date: "unknown"}
	if p.Account == "" && row.UserIdentity != nil {
		p.Account = row.UserIdentity.AccountID
	}
	if t, err := time.Parse(time.RFC3339Nano, row.EventTime); err == nil {
		p.Date = t.UTC().Format(time.DateOnly)
	}
	return p.Clean()
}

// Clean makes the partition values safe as directory names; empty values
// become "unknown".
func (p Partition) Clean() Partition {
	p.Account = partitionValue(p.Account)
	p.Region = partitionValue(p.Region)
	if p.Date == "" {
		p.Date = "unknown"
	}
	return p
}

// maxPartitionValue bounds a partition value, so that its directory
// name stays under the 255 bytes file systems allow whatever a record
// holds (an account ID has 12 digits, a region name about 15 letters).
const maxPartitionValue = 96

// partitionValue keeps a partition value safe as a directory name: other
// characters than letters, digits, - and _ become _, and a value longer
// than maxPartitionValue keeps its start and a hash of the whole, so that
// long values stay apart.
func partitionValue(s string) string {
	if s == "" {
		return "unknown"
	}
	v := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
	if len(v) > maxPartitionValue {
		sum := sha256.Sum256([]byte(s))
		v = v[:maxPartitionValue-17] + "_" + hex.EncodeToString(sum[:8])
	}
	return v
}

func userIdentity(u *fastjson.Value) *UserIdentity {
	if u == nil || u.Type() != fastjson.TypeObject {
		return nil
	}
	ui := &UserIdentity{
		Type: text(u.Get("type")), PrincipalID: text(u.Get("principalId")), ARN: text(u.Get("arn")),
		AccountID: text(u.Get("accountId")), InvokedBy: text(u.Get("invokedBy")), AccessKeyID: text(u.Get("accessKeyId")),
		UserName: text(u.Get("userName")),
	}
	if o := u.Get("onBehalfOf"); o != nil && o.Type() == fastjson.TypeObject {
		ui.OnBehalfOf = &OnBehalfOf{UserID: text(o.Get("userId")), IdentityStoreARN: text(o.Get("identityStoreArn"))}
	}
	sc := u.Get("sessionContext")
	if sc == nil || sc.Type() != fastjson.TypeObject {
		return ui
	}
	ctx := &SessionContext{EC2RoleDelivery: text(sc.Get("ec2RoleDelivery"))}
	if a := sc.Get("attributes"); a != nil && a.Type() == fastjson.TypeObject {
		ctx.Attributes = &SessionAttributes{MFAAuthenticated: text(a.Get("mfaAuthenticated")), CreationDate: text(a.Get("creationDate"))}
	}
	if s := sc.Get("sessionIssuer"); s != nil && s.Type() == fastjson.TypeObject {
		ctx.SessionIssuer = &SessionIssuer{Type: text(s.Get("type")), PrincipalID: text(s.Get("principalId")), ARN: text(s.Get("arn")),
			AccountID: text(s.Get("accountId")), UserName: text(s.Get("userName"))}
	}
	if w := sc.Get("webIdFederationData"); w != nil && w.Type() == fastjson.TypeObject {
		wf := &WebIDFederationData{FederatedProvider: text(w.Get("federatedProvider"))}
		if attrs := w.GetObject("attributes"); attrs != nil && attrs.Len() > 0 {
			wf.Attributes = make(map[string]string, attrs.Len())
			attrs.Visit(func(k []byte, v *fastjson.Value) { wf.Attributes[string(k)] = text(v) })
		}
		ctx.WebIDFederationData = wf
	}
	ui.SessionContext = ctx
	return ui
}

// text is what the Hive JsonSerDe puts in a STRING column for a JSON value:
// a string's characters, the JSON text of anything else, "" (NULL) for
// null or missing.
func text(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return ""
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b)
	}
	return string(v.MarshalTo(nil))
}

// TableActors is the table of resolved actors: one row per actor key, the
// key every record of the cloudtrail table resolved alike shares (one per
// principal, and one per event for the events whose actor depends on more
// than their principal; see identity.Event.PrincipalOnly). The
// cloudtrail_actors view joins it to the records (docs/store.md,
// docs/identity.md).
const TableActors = "actors"

// ActorRow is who is behind the records of one actor key, as
// internal/identity resolved it during the ingest.
type ActorRow struct {
	ActorKey        int64  `parquet:"actorkey"`
	PrincipalType   string `parquet:"principal_type,optional,dict"`
	PrincipalARN    string `parquet:"principal_arn,optional,dict"`
	AccessKeyID     string `parquet:"accesskeyid,optional"`
	Who             string `parquet:"who,optional,dict"`
	OriginType      string `parquet:"origin_type,optional,dict"`
	OriginName      string `parquet:"origin_name,optional,dict"`
	OriginARN       string `parquet:"origin_arn,optional,dict"`
	OriginAccountID string `parquet:"origin_accountid,optional,dict"`
	OriginID        string `parquet:"origin_id,optional,dict"`
	PermissionSet   string `parquet:"permission_set,optional,dict"`
	Method          string `parquet:"method,optional,dict"`
	SourceIdentity  string `parquet:"sourceidentity,optional,dict"`
	ChainLength     int32  `parquet:"chain_length"`
	// Chain is the JSON array of the credential-issuing events, origin
	// first, as `trailwatch actors --format json` prints it.
	Chain string `parquet:"chain,optional,dict"`
	// For a key of a principal whose access key an event in the input
	// issued, the row holds for the records inside the credentials'
	// lifetime (InLifetime true) or outside it (false), which runs from
	// LifetimeStart to LifetimeEnd (Unix microseconds, NULL: open); see
	// identity.Resolver.Lifetime. NULL for the other keys.
	LifetimeStart *int64 `parquet:"lifetime_start,optional"`
	LifetimeEnd   *int64 `parquet:"lifetime_end,optional"`
	InLifetime    *bool  `parquet:"in_lifetime,optional"`
}
