package identity

import (
	"strings"
)

// arnParts is an ARN split at its colons:
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type arnParts struct {
	Partition, Service, Region, Account, Resource string
}

func parseARN(s string) (arnParts, bool) {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return arnParts{}, false
	}
	// strings.SplitN(rest, ":", 5) without its slice.
	var a arnParts
	var ok1, ok2, ok3, ok4 bool
	a.Partition, rest, ok1 = strings.Cut(rest, ":")
	a.Service, rest, ok2 = strings.Cut(rest, ":")
	a.Region, rest, ok3 = strings.Cut(rest, ":")
	a.Account, a.Resource, ok4 = strings.Cut(rest, ":")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return arnParts{}, false
	}
	return a, true
}

// assumedRoleParts returns the role and session name of an STS assumed-role
// ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION). Role names carry no
// path in these ARNs, and session names cannot contain '/'.
func assumedRoleParts(s string) (role, session string, ok bool) {
	a, ok := parseARN(s)
	if !ok || a.Service != "sts" {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(a.Resource, "assumed-role/")
	if !ok {
		return "", "", false
	}
	role, session, ok = strings.Cut(rest, "/")
	if !ok || role == "" || session == "" {
		return "", "", false
	}
	return role, session, true
}

// federatedUserName returns NAME of arn:aws:sts::ACCOUNT:federated-user/NAME.
func federatedUserName(s string) (string, bool) {
	a, ok := parseARN(s)
	if !ok || a.Service != "sts" {
		return "", false
	}
	name, ok := strings.CutPrefix(a.Resource, "federated-user/")
	return name, ok && name != ""
}

// resourceName returns the last path segment of an ARN's resource
// ("role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_x_1" gives
// "AWSReservedSSO_x_1"), or "" when s is not an ARN.
func resourceName(s string) string {
	a, ok := parseARN(s)
	if !ok {
		return ""
	}
	r := a.Resource
	if i := strings.LastIndexByte(r, '/'); i >= 0 {
		return r[i+1:]
	}
	return r
}

// ssoRolePrefix starts the name of every role IAM Identity Center creates
// for a permission set: AWSReservedSSO_<PermissionSet>_<hash>.
const ssoRolePrefix = "AWSReservedSSO_"

// permissionSet returns the permission set behind an Identity Center role
// name. Permission set names may contain '_', so only the last segment (the
// hash) is cut.
func permissionSet(role string) (string, bool) {
	rest, ok := strings.CutPrefix(role, ssoRolePrefix)
	if !ok || rest == "" {
		return "", false
	}
	if i := strings.LastIndexByte(rest, '_'); i > 0 {
		return rest[:i], true
	}
	return rest, true
}

// generatedSessionName reports role session names that SDKs, the CLI and
// AWS services make up, which say nothing about a person: aws-go-sdk-<ns>,
// botocore-session-<s>, EC2 instance IDs, bare numbers, UUIDs.
func generatedSessionName(s string) bool {
	for _, p := range []string{"aws-go-sdk-", "botocore-session-", "aws-sdk-java-", "aws-sdk-js-", "aws-sdk-dotnet-", "aws-sdk-ruby-", "aws-sdk-php-", "aws-sdk-rust-", "aws-sdk-cpp-"} {
		if rest, ok := strings.CutPrefix(s, p); ok && allDigits(rest) {
			return true
		}
	}
	if s == "AWSCLI-Session" || allDigits(s) {
		return true
	}
	if rest, ok := strings.CutPrefix(s, "i-"); ok && len(rest) >= 8 && len(rest) <= 17 && allHex(rest) {
		return true
	}
	return isUUID(s)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

func isUUID(s string) bool {
	if len(s) == 32 {
		return allHex(s)
	}
	parts := strings.Split(s, "-")
	if len(parts) != 5 {
		return false
	}
	for i, n := range [...]int{8, 4, 4, 4, 12} {
		if len(parts[i]) != n || !allHex(parts[i]) {
			return false
		}
	}
	return true
}
