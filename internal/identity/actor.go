package identity

import (
	"strings"
)

// Method says how an Actor's origin was found, from the strongest evidence
// to none.
type Method string

const (
	// MethodDirect: the principal is itself the origin (an IAM user, root,
	// an Identity Center user, a SAML or web identity subject, an AWS
	// service), or its record names it (a federated user's issuer).
	MethodDirect Method = "direct"
	// MethodKeyChain: the access key the event used was handed out by an
	// event in the input, whose caller was followed back, hop by hop, to a
	// principal that is its own origin.
	MethodKeyChain Method = "key-chain"
	// MethodIdentityCenter: an IAM Identity Center role session
	// (AWSReservedSSO_*), whose session name Identity Center sets to the
	// user's name.
	MethodIdentityCenter Method = "identity-center"
	// MethodSourceIdentity: sessionContext.sourceIdentity, set when the
	// role was first assumed and kept through role chains.
	MethodSourceIdentity Method = "sourceIdentity"
	// MethodSessionName: only the role session name (chosen by whoever
	// assumed the role) or the EC2 instance it was delivered to.
	MethodSessionName Method = "session-name"
	// MethodUnresolved: nothing names the origin; Origin is the furthest
	// principal known.
	MethodUnresolved Method = "unresolved"
)

// Actor answers who is behind one event. Its JSON is the line
// `trailwatch actors --format json` prints and the "actor" of a scan match.
type Actor struct {
	EventID   string       `json:"eventID"`
	EventTime string       `json:"eventTime"`
	EventName string       `json:"eventName"`
	Principal PrincipalRef `json:"principal"`
	Origin    Origin       `json:"origin"`
	// SourceIdentity is the session's source identity, from the event or
	// from any issuing event on its chain; "" when none was set.
	SourceIdentity string `json:"sourceIdentity"`
	Method         Method `json:"method"`
	// Chain lists the credential-issuing events between the origin and
	// the event, origin first: Chain[0] was called by the origin (or by
	// the furthest principal known), the last one issued the key the
	// event used. Empty when the event used no issued credentials.
	Chain []Link `json:"chain"`
	// Evidence says, one fact per entry, what the method rests on.
	Evidence []string `json:"evidence,omitempty"`
}

// PrincipalRef identifies the principal that made the request.
type PrincipalRef struct {
	Type        string `json:"type"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	RoleName    string `json:"roleName,omitempty"`
	SessionName string `json:"sessionName,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	InvokedBy   string `json:"invokedBy,omitempty"`
}

// Origin is who is at the root of the chain.
type Origin struct {
	// Type is a userIdentity type (IAMUser, Root, IdentityCenterUser,
	// SAMLUser, WebIdentityUser, AWSService, Directory, Unknown, and for
	// unresolved chains AssumedRole, FederatedUser or AWSAccount), or
	// "SourceIdentity" when only a source identity names the origin.
	Type string `json:"type"`
	ARN  string `json:"arn"`
	// Name is the user name, e-mail, subject, service or session name.
	Name      string `json:"name"`
	AccountID string `json:"accountId,omitempty"`
	// ID is a principal ID, Identity Center user ID or EC2 instance ID.
	ID string `json:"id,omitempty"`
	// Provider is the SAML or OIDC provider, or the Identity Center
	// identity store.
	Provider      string `json:"provider,omitempty"`
	PermissionSet string `json:"permissionSet,omitempty"`
}

// Link is one credential-issuing event on a chain.
type Link struct {
	EventID   string `json:"eventID"`
	EventName string `json:"eventName"`
	// AccessKeyID is the key the event handed out; ARN the principal those
	// credentials act as (for GetSessionToken, the caller itself).
	AccessKeyID string `json:"accessKeyId"`
	ARN         string `json:"arn"`
	EventTime   string `json:"eventTime,omitempty"`
	// AccountID is the account whose trail logged the event; Region its
	// awsRegion. They differ along cross-account and cross-region chains.
	AccountID         string            `json:"accountId,omitempty"`
	Region            string            `json:"region,omitempty"`
	Expiration        string            `json:"expiration,omitempty"`
	SourceIdentity    string            `json:"sourceIdentity,omitempty"`
	SessionTags       map[string]string `json:"sessionTags,omitempty"`
	TransitiveTagKeys []string          `json:"transitiveTagKeys,omitempty"`
	// Caller is who made the issuing call.
	Caller PrincipalRef `json:"caller"`
}

// Summary is a one-line answer for people, e.g.
// "alice@example.com via AWSReservedSSO_AdministratorAccess_abc123 (identity-center)".
func (a Actor) Summary() string {
	return a.Who() + " (" + string(a.Method) + ")"
}

// Who is Summary without the method: the origin, and the role or
// federated user it acted through.
func (a Actor) Who() string {
	var b strings.Builder
	b.WriteString(a.Origin.Label())
	if via := a.via(); via != "" {
		b.WriteString(" via ")
		b.WriteString(via)
	}
	return b.String()
}

// Label names the origin as briefly as is unambiguous.
func (o Origin) Label() string {
	name := o.Name
	if name == "" {
		name = o.ARN
	}
	if name == "" && o.Type == TypeAWSAccount && o.AccountID != "" {
		name = "account " + o.AccountID
		if o.ID != "" {
			name += " principal " + o.ID
		}
		return name
	}
	if name == "" {
		name = o.ID
	}
	if name == "" {
		name = o.Type
	}
	if name == "" {
		return "unknown"
	}
	if o.Type == TypeAWSService && o.ID != "" && o.ID != name {
		name += " (" + o.ID + ")"
	}
	return name
}

// via names the principal the origin acted through, when it is not the
// origin itself: the role, or the federated user.
func (a Actor) via() string {
	p := a.Principal
	var via string
	switch p.Type {
	case TypeAssumedRole, TypeRole:
		via = p.RoleName
		if via == "" {
			via = p.ARN
		}
	case TypeFederatedUser:
		via = p.ARN
		if p.SessionName != "" {
			via = "federated user " + p.SessionName
		}
	default:
		if p.ARN != "" && p.ARN != a.Origin.ARN {
			via = p.ARN
		}
	}
	if via == a.Origin.Label() {
		return ""
	}
	return via
}

// ref is the short form of p.
func (p *Principal) ref() PrincipalRef {
	return PrincipalRef{
		Type: p.Type, ARN: p.ARN, AccountID: p.AccountID,
		RoleName: p.RoleName, SessionName: p.SessionName,
		AccessKeyID: p.AccessKeyID, InvokedBy: p.InvokedBy,
	}
}
