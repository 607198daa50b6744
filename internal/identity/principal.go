package identity

import (
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// userIdentity.type values CloudTrail records.
const (
	TypeRoot               = "Root"
	TypeIAMUser            = "IAMUser"
	TypeAssumedRole        = "AssumedRole"
	TypeRole               = "Role"
	TypeFederatedUser      = "FederatedUser"
	TypeAWSAccount         = "AWSAccount"
	TypeAWSService         = "AWSService"
	TypeIdentityCenterUser = "IdentityCenterUser"
	TypeWebIdentityUser    = "WebIdentityUser"
	TypeSAMLUser           = "SAMLUser"
	TypeDirectory          = "Directory"
	TypeUnknown            = "Unknown"
)

// hiddenName is what CloudTrail writes instead of a user name it will not
// reveal (a failed sign-in with a name that does not exist).
const hiddenName = "HIDDEN_DUE_TO_SECURITY_REASONS"

// Principal is one userIdentity element in a single shape for every type.
// Fields a type does not carry are empty.
type Principal struct {
	// Type is userIdentity.type; "AWSService" when the element has only
	// invokedBy (AWS service events), "" when it has nothing to go on.
	Type        string `json:"type"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	// UserName is the IAM user, or the SAML or web identity subject, or the
	// Identity Center user name (additionalEventData.UserName). A name
	// CloudTrail hid is "" with NameHidden set.
	UserName    string `json:"userName,omitempty"`
	NameHidden  bool   `json:"nameHidden,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	// InvokedBy names the AWS service that made the request for the
	// principal; DelegateAccountID is invokedByDelegate.accountId.
	InvokedBy         string `json:"invokedBy,omitempty"`
	DelegateAccountID string `json:"delegateAccountId,omitempty"`

	// sessionContext.sessionIssuer: the role behind an assumed-role
	// session, or the IAM user or root behind a federated user.
	IssuerType        string `json:"issuerType,omitempty"`
	IssuerARN         string `json:"issuerArn,omitempty"`
	IssuerName        string `json:"issuerName,omitempty"`
	IssuerAccountID   string `json:"issuerAccountId,omitempty"`
	IssuerPrincipalID string `json:"issuerPrincipalId,omitempty"`

	// RoleName and SessionName of an assumed-role session; SessionName is
	// also the name of a federated user.
	RoleName    string `json:"roleName,omitempty"`
	SessionName string `json:"sessionName,omitempty"`
	// PermissionSet is set for IAM Identity Center roles
	// (AWSReservedSSO_<PermissionSet>_<hash>).
	PermissionSet string `json:"permissionSet,omitempty"`

	// MFA is sessionContext.attributes.mfaAuthenticated, or for a console
	// sign-in additionalEventData.MFAUsed.
	MFA              bool      `json:"mfa,omitempty"`
	SessionCreated   time.Time `json:"sessionCreated,omitzero"`
	SourceIdentity   string    `json:"sourceIdentity,omitempty"`
	SignInSessionARN string    `json:"signInSessionArn,omitempty"`
	// EC2RoleDelivery is set when the credentials came from an EC2
	// instance's metadata service ("1.0" or "2.0").
	EC2RoleDelivery string `json:"ec2RoleDelivery,omitempty"`
	AssumedRoot     bool   `json:"assumedRoot,omitempty"`

	// Web identity and SAML: sessionContext.webIdFederationData of a
	// session, identityProvider of a SAMLUser or WebIdentityUser.
	WebIdentityProvider   string            `json:"webIdentityProvider,omitempty"`
	WebIdentityAttributes map[string]string `json:"webIdentityAttributes,omitempty"`
	IdentityProvider      string            `json:"identityProvider,omitempty"`

	// IAM Identity Center: onBehalfOf and credentialId.
	IdentityCenterUserID string `json:"identityCenterUserId,omitempty"`
	IdentityStoreARN     string `json:"identityStoreArn,omitempty"`
	CredentialID         string `json:"credentialId,omitempty"`
}

// Normalize reads the userIdentity of event ev (a parsed CloudTrail record).
// It never fails: missing or mistyped fields stay empty.
func Normalize(ev *fastjson.Value) Principal { return normalize(ev, nil) }

// normalize is Normalize with strings from ps. Each object is looked up
// once per member, in the order of the member reads before this was
// written, looking up again where another missed lookup came between
// (see parseEvent).
func normalize(ev *fastjson.Value, ps *Parser) Principal {
	p := normalizeIdentity(get(ev, "userIdentity"), ps)
	completeFromEvent(&p, ev, ps)
	return p
}

// normalizeIdentity is the part of normalize that reads only the
// userIdentity element ui, so that equal elements give equal results
// (MemberParser remembers them).
func normalizeIdentity(ui *fastjson.Value, ps *Parser) Principal {
	var p Principal
	p.Type = ps.text(get(ui, "type"))
	p.ARN = ps.text(get(ui, "arn"))
	p.AccountID = ps.text(get(ui, "accountId"))
	p.PrincipalID = ps.text(get(ui, "principalId"))
	p.UserName = ps.text(get(ui, "userName"))
	p.AccessKeyID = ps.text(get(ui, "accessKeyId"))
	p.InvokedBy = ps.text(get(ui, "invokedBy"))
	p.DelegateAccountID = ps.text(get(get(ui, "invokedByDelegate"), "accountId"))

	sc := get(ui, "sessionContext")
	si := get(sc, "sessionIssuer")
	p.IssuerType = ps.text(get(si, "type"))
	p.IssuerARN = ps.text(get(si, "arn"))
	p.IssuerName = ps.text(get(si, "userName"))
	p.IssuerAccountID = ps.text(get(si, "accountId"))
	p.IssuerPrincipalID = ps.text(get(si, "principalId"))

	p.SourceIdentity = ps.text(get(sc, "sourceIdentity"))
	p.SignInSessionARN = ps.text(get(sc, "signInSessionArn"))
	p.EC2RoleDelivery = ps.text(get(sc, "ec2RoleDelivery"))
	p.AssumedRoot = textIs(get(sc, "assumedRoot"), "true")
	p.MFA = textIs(get(get(sc, "attributes"), "mfaAuthenticated"), "true")
	p.WebIdentityProvider = ps.text(get(get(sc, "webIdFederationData"), "federatedProvider"))
	p.IdentityProvider = ps.text(get(ui, "identityProvider"))

	obo := get(ui, "onBehalfOf")
	p.IdentityCenterUserID = ps.text(get(obo, "userId"))
	p.IdentityStoreARN = ps.text(get(obo, "identityStoreArn"))
	p.CredentialID = ps.text(get(ui, "credentialId"))

	if p.Type == "" && p.InvokedBy != "" {
		p.Type = TypeAWSService // AWS service events carry only invokedBy
	}
	if p.UserName == hiddenName {
		p.UserName, p.NameHidden = "", true
	}
	sc = get(ui, "sessionContext")
	if t, ok := parseTimeValueText(get(get(sc, "attributes"), "creationDate")); ok {
		p.SessionCreated = t
	}
	p.WebIdentityAttributes = stringMap(get(get(sc, "webIdFederationData"), "attributes"))

	switch p.Type {
	case TypeAssumedRole, TypeRole:
		if role, session, ok := assumedRoleParts(p.ARN); ok {
			p.RoleName, p.SessionName = role, session
		}
		if p.RoleName == "" {
			p.RoleName = p.IssuerName
		}
		if p.RoleName == "" {
			p.RoleName = resourceName(p.IssuerARN)
		}
		if p.SessionName == "" {
			// principalId is "<role id>:<session name>"; anonymised or
			// truncated ARNs still have it.
			if _, after, ok := cutByte(p.PrincipalID, ':'); ok {
				p.SessionName = after
			}
		}
		// The issuer's name is authoritative for the permission set: the
		// session ARN of a reserved role may be mangled by anonymisers.
		for _, r := range [...]string{p.IssuerName, p.RoleName, resourceName(p.IssuerARN)} {
			if ps, ok := permissionSet(r); ok {
				p.PermissionSet = ps
				break
			}
		}
	case TypeFederatedUser:
		if name, ok := federatedUserName(p.ARN); ok {
			p.SessionName = name
		} else if _, after, ok := cutByte(p.PrincipalID, ':'); ok {
			p.SessionName = after
		}
	}
	return p
}

// needsEvent reports whether completeFromEvent may change p: it reads the
// event for an Identity Center user without a name and for ConsoleLogin.
func (p *Principal) needsEvent() bool { return p.Type == TypeIdentityCenterUser && p.UserName == "" }

// completeFromEvent adds to p, normalizeIdentity of ev's userIdentity,
// what ev's other members say about the principal.
func completeFromEvent(p *Principal, ev *fastjson.Value, ps *Parser) {
	if p.needsEvent() {
		// The Identity Center user's name is not in userIdentity; some
		// events carry it in additionalEventData.
		aed := get(ev, "additionalEventData")
		p.UserName = ps.text(get(aed, "UserName"))
		if p.UserName == "" {
			p.UserName = ps.text(get(aed, "userName"))
		}
	}
	if textIs(get(ev, "eventName"), "ConsoleLogin") && strings.EqualFold(text(ev, "additionalEventData", "MFAUsed"), "yes") {
		p.MFA = true
	}
}

// get is v.Get(key) for keys that are not array indexes, without its
// variadic loop.
func get(v *fastjson.Value, key string) *fastjson.Value {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	return o.Get(key)
}

// textIs reports text(v) == s without allocating for strings.
func textIs(v *fastjson.Value, s string) bool {
	if v != nil && v.Type() == fastjson.TypeString {
		b, _ := v.StringBytes()
		return string(b) == s
	}
	return text(v) == s
}

// parseTimeValueText is parseTime(text(v)), without allocating for the
// usual forms of a string.
func parseTimeValueText(v *fastjson.Value) (time.Time, bool) {
	if v != nil && v.Type() == fastjson.TypeString {
		b, _ := v.StringBytes()
		if t, ok := parseEventTime(b); ok {
			return t, true
		}
	}
	return parseTime(text(v))
}

// cutByte splits s at the first c.
func cutByte(s string, c byte) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// text returns the string at keys, or the literal text of a number or
// boolean there (mfaAuthenticated is sometimes a JSON boolean), else "".
func text(v *fastjson.Value, keys ...string) string {
	v = v.Get(keys...)
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return string(b)
	case fastjson.TypeNumber:
		return v.String()
	case fastjson.TypeTrue:
		return "true"
	case fastjson.TypeFalse:
		return "false"
	}
	return ""
}

// stringMap copies an object of scalars ({"k":"v"}); nil when empty.
func stringMap(v *fastjson.Value) map[string]string {
	if v == nil {
		return nil
	}
	o, err := v.Object()
	if err != nil || o.Len() == 0 {
		return nil
	}
	m := make(map[string]string, o.Len())
	o.Visit(func(k []byte, x *fastjson.Value) {
		m[string(k)] = text(x)
	})
	return m
}
