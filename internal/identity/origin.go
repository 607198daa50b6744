package identity

import (
	"strconv"
	"strings"
)

// rootOrigin returns p as an origin when p is its own origin: an IAM user,
// root, an Identity Center user, a SAML or web identity subject, an AWS
// service, a directory user. iss is what p was issuing, when p is the
// caller of a credential-issuing event (it tells a SAML sign-in through
// IAM Identity Center from other SAML federation).
func (r *Resolver) rootOrigin(p *Principal, iss *Issuance) (Origin, string, bool) {
	switch p.Type {
	case TypeIAMUser:
		if p.ARN == "" && p.UserName == "" {
			return Origin{}, "", false // hidden: a failed sign-in
		}
		return Origin{Type: TypeIAMUser, ARN: p.ARN, Name: p.UserName, AccountID: p.AccountID, ID: p.PrincipalID},
			"userIdentity.type IAMUser: the IAM user is the origin", true
	case TypeRoot:
		return Origin{Type: TypeRoot, ARN: p.ARN, Name: p.UserName, AccountID: p.AccountID},
			"userIdentity.type Root: the account's root user is the origin", true
	case TypeSAMLUser:
		o := Origin{Type: TypeSAMLUser, Name: p.UserName, ID: p.PrincipalID, Provider: p.IdentityProvider}
		if iss != nil {
			if o.Name == "" {
				o.Name = iss.Subject
			}
			if iss.Provider != "" {
				o.Provider = iss.Provider
			}
			if ps, ok := ssoIssuance(iss); ok {
				o.Type, o.PermissionSet = TypeIdentityCenterUser, ps
				return o, quoted("AssumeRoleWithSAML into IAM Identity Center role "+iss.RoleName+": the SAML subject ", o.Name, " is the Identity Center user"), true
			}
		}
		return o, quoted("userIdentity.type SAMLUser: the SAML subject ", o.Name, " is the origin"), true
	case TypeWebIdentityUser:
		o := Origin{Type: TypeWebIdentityUser, Name: p.UserName, ID: p.PrincipalID, Provider: p.IdentityProvider}
		if iss != nil && o.Name == "" {
			o.Name = iss.Subject
		}
		if iss != nil && o.Provider == "" {
			o.Provider = iss.Provider
		}
		return o, quoted("userIdentity.type WebIdentityUser: the token's subject ", o.Name, " is the origin"), true
	case TypeIdentityCenterUser:
		return identityCenterOrigin(p), "userIdentity.onBehalfOf: the IAM Identity Center user is the origin", true
	case TypeAWSService:
		return Origin{Type: TypeAWSService, Name: p.InvokedBy, AccountID: p.AccountID},
			r.serviceWhy(p.InvokedBy), true
	case TypeDirectory:
		name := p.UserName
		if name == "" {
			name = p.PrincipalID
		}
		return Origin{Type: TypeDirectory, ARN: p.ARN, Name: name, AccountID: p.AccountID, ID: p.PrincipalID},
			"userIdentity.type Directory: the directory user is the origin", true
	case TypeUnknown:
		if p.IdentityCenterUserID != "" {
			return identityCenterOrigin(p), "userIdentity.onBehalfOf: the IAM Identity Center user is the origin", true
		}
		if p.UserName != "" {
			return Origin{Type: TypeUnknown, ARN: p.ARN, Name: p.UserName, AccountID: p.AccountID, ID: p.PrincipalID},
				"userIdentity.type Unknown with userName: the user named is the origin", true
		}
	}
	return Origin{}, "", false
}

func identityCenterOrigin(p *Principal) Origin {
	name := p.UserName
	if name == "" {
		name = p.IdentityCenterUserID
	}
	return Origin{Type: TypeIdentityCenterUser, Name: name, AccountID: p.AccountID,
		ID: p.IdentityCenterUserID, Provider: p.IdentityStoreARN}
}

// ssoIssuance reports credentials issued for an IAM Identity Center role,
// and its permission set.
func ssoIssuance(iss *Issuance) (string, bool) {
	if ps, ok := permissionSet(iss.RoleName); ok {
		return ps, true
	}
	if ps, ok := permissionSet(resourceName(iss.ARN)); ok {
		return ps, true
	}
	if role, _, ok := assumedRoleParts(iss.ARN); ok {
		return permissionSet(role)
	}
	return "", strings.Contains(iss.Provider, "saml-provider/AWSSSO_")
}

// fallback names the origin behind p, a session whose issuing event is not
// in the input (or not within the reorder window), from what its own
// record says. si is the source identity found anywhere on the chain.
func fallback(p *Principal, si string) (Origin, Method, string) {
	switch {
	case p.Type == TypeFederatedUser && p.IssuerARN != "":
		t := p.IssuerType
		if t == "" {
			t = TypeIAMUser
		}
		return Origin{Type: t, ARN: p.IssuerARN, Name: p.IssuerName, AccountID: p.IssuerAccountID, ID: p.IssuerPrincipalID},
			MethodDirect, "sessionContext.sessionIssuer of a federated user names who called GetFederationToken"
	case p.PermissionSet != "" && p.SessionName != "":
		return Origin{Type: TypeIdentityCenterUser, Name: p.SessionName, AccountID: p.AccountID, PermissionSet: p.PermissionSet},
			MethodIdentityCenter, quoted("role "+p.RoleName+" is IAM Identity Center's for permission set "+p.PermissionSet+"; Identity Center sets the session name to the user's name ", p.SessionName, "")
	case si != "":
		return Origin{Type: "SourceIdentity", Name: si},
			MethodSourceIdentity, quoted("sessionContext.sourceIdentity ", si, ", set when the role was first assumed and kept through role chains")
	case p.EC2RoleDelivery != "":
		return Origin{Type: TypeAWSService, Name: "ec2.amazonaws.com", ID: p.SessionName, AccountID: p.AccountID},
			MethodSessionName, "sessionContext.ec2RoleDelivery " + p.EC2RoleDelivery + ": instance profile credentials delivered by EC2 to " + p.SessionName + " (the session name)"
	case p.WebIdentityProvider != "":
		return Origin{Type: TypeWebIdentityUser, Name: p.SessionName, Provider: p.WebIdentityProvider, AccountID: p.AccountID},
			MethodSessionName, quoted("sessionContext.webIdFederationData: web identity from "+p.WebIdentityProvider+"; only the session name ", p.SessionName, " names the user")
	case (p.Type == TypeAssumedRole || p.Type == TypeRole) && p.SessionName != "" && !generatedSessionName(p.SessionName):
		return Origin{Type: p.Type, ARN: p.ARN, Name: p.SessionName, AccountID: p.AccountID},
			MethodSessionName, quoted("only the role session name ", p.SessionName, ", chosen by whoever assumed the role, names the origin")
	case p.Type == TypeAWSAccount:
		return Origin{Type: TypeAWSAccount, AccountID: p.AccountID, ID: p.PrincipalID},
			MethodUnresolved, "userIdentity.type AWSAccount: a principal (" + p.PrincipalID + ") of account " + p.AccountID + "; that account's own copy of the event is not in the input"
	}
	name := p.SessionName
	if name == "" {
		name = p.UserName
	}
	why := "nothing in the input names the origin"
	if p.NameHidden {
		name = hiddenName
		why = "userName is " + hiddenName + ": CloudTrail hides the name of a failed sign-in"
	} else if p.SessionName != "" {
		why = quoted("the session name ", p.SessionName, " is generated by an SDK or service, not a person's name")
	}
	return Origin{Type: p.Type, ARN: p.ARN, Name: name, AccountID: p.AccountID, ID: p.PrincipalID}, MethodUnresolved, why
}

// quoted is pre + strconv.Quote(s) + post in one allocation when s needs
// no escapes (nearly always).
func quoted(pre, s, post string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return pre + strconv.Quote(s) + post
		}
	}
	return pre + `"` + s + `"` + post
}
