package identity

import (
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// Issuance is what an event that handed out temporary credentials recorded
// about them: AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity,
// GetSessionToken, GetFederationToken, and any other call whose response
// names credentials (IAM Identity Center's GetRoleCredentials when its
// response is logged, IAM Roles Anywhere, Cognito).
type Issuance struct {
	// AccessKeyID is responseElements.credentials.accessKeyId: later
	// events made with these credentials show it as userIdentity.accessKeyId.
	AccessKeyID string
	// ARN is the principal the credentials act as: assumedRoleUser.arn or
	// federatedUser.arn; "" for GetSessionToken (the caller itself).
	ARN            string
	RoleARN        string // requestParameters.roleArn
	RoleName       string // the role's name, from RoleARN or the portal's roleName
	SessionName    string // roleSessionName, or the federated user's name
	SourceIdentity string
	// Expiration is credentials.expiration; when it cannot be read it is
	// estimated from durationSeconds or the API's default, and
	// ExpirationEstimated is set.
	Expiration          time.Time
	ExpirationEstimated bool
	// Session tags passed in the request (tags, or principalTags from a
	// SAML assertion or web identity token), which of them are transitive,
	// and the transitive tags the calling session carried in.
	Tags                   map[string]string
	TransitiveTagKeys      []string
	IncomingTransitiveTags map[string]string
	// SAML and web identity federation: who the identity provider said the
	// user is, and which provider.
	Subject  string
	Provider string
}

// parseIssuance returns the credentials ev handed out, or nil. t is the
// event time, used to estimate an unreadable expiration.
func parseIssuance(ev *fastjson.Value, eventName string, t time.Time) *Issuance {
	re := ev.Get("responseElements")
	creds := re.Get("credentials")
	key := text(creds, "accessKeyId")
	if key == "" {
		// IAM Identity Center portal: GetRoleCredentials answers with
		// roleCredentials (normally not logged; used when it is).
		creds = re.Get("roleCredentials")
		key = text(creds, "accessKeyId")
	}
	if key == "" {
		return nil
	}
	rp := ev.Get("requestParameters")
	is := &Issuance{
		AccessKeyID:    key,
		ARN:            text(re, "assumedRoleUser", "arn"),
		RoleARN:        text(rp, "roleArn"),
		SessionName:    text(rp, "roleSessionName"),
		SourceIdentity: text(re, "sourceIdentity"),
		Subject:        text(re, "subject"),
		Provider:       text(rp, "principalArn"),
	}
	if is.ARN == "" {
		is.ARN = text(re, "federatedUser", "arn")
	}
	if is.SessionName == "" {
		is.SessionName = text(rp, "name") // GetFederationToken
	}
	if is.SourceIdentity == "" {
		is.SourceIdentity = text(rp, "sourceIdentity")
	}
	if is.Subject == "" {
		is.Subject = text(re, "subjectFromWebIdentityToken")
	}
	if is.Provider == "" {
		is.Provider = text(re, "provider")
	}
	if is.Provider == "" {
		is.Provider = text(re, "issuer")
	}
	is.RoleName = resourceName(is.RoleARN)
	if is.RoleName == "" {
		is.RoleName = text(rp, "roleName") // GetRoleCredentials: no ARN
	}
	is.Tags = sessionTags(rp)
	for _, k := range rp.GetArray("transitiveTagKeys") {
		if s := text(k); s != "" {
			is.TransitiveTagKeys = append(is.TransitiveTagKeys, s)
		}
	}
	is.IncomingTransitiveTags = stringMap(rp.Get("incomingTransitiveTags"))

	if exp, ok := parseTimeValue(creds.Get("expiration")); ok {
		is.Expiration = exp
	} else if !t.IsZero() {
		is.Expiration = t.Add(defaultDuration(eventName, rp))
		is.ExpirationEstimated = true
	}
	return is
}

// sessionTags reads requestParameters.tags ([{"key":..,"value":..}], as
// AssumeRole and GetFederationToken log them) and principalTags ({k: v},
// from a SAML assertion or web identity token).
func sessionTags(rp *fastjson.Value) map[string]string {
	m := stringMap(rp.Get("principalTags"))
	for _, t := range rp.GetArray("tags") {
		k := text(t, "key")
		if k == "" {
			k = text(t, "Key")
		}
		if k == "" {
			continue
		}
		v := text(t, "value")
		if v == "" {
			v = text(t, "Value")
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = v
	}
	return m
}

// defaultDuration is how long credentials live when the event does not say:
// requestParameters.durationSeconds, else the API's default (1 hour for the
// AssumeRole family, 12 hours for GetSessionToken and GetFederationToken).
func defaultDuration(eventName string, rp *fastjson.Value) time.Duration {
	// STS never grants more than 36 hours; a larger value is not trusted.
	const longest = 36 * time.Hour
	if n := rp.GetInt64("durationSeconds"); n > 0 && n <= int64(longest/time.Second) {
		return time.Duration(n) * time.Second
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(text(rp, "durationSeconds")), 10, 64); err == nil && n > 0 && n <= int64(longest/time.Second) {
		return time.Duration(n) * time.Second
	}
	switch eventName {
	case "GetSessionToken", "GetFederationToken":
		return 12 * time.Hour
	}
	return time.Hour
}
