// Package identity answers "who really did this" for CloudTrail events: it
// normalises every userIdentity type and resolves each event's principal to
// the origin at the root of its credential chain, saying how it found it and
// on what evidence.
//
// # Normalisation
//
// Normalize reads one record's userIdentity (Root, IAMUser, AssumedRole,
// FederatedUser, AWSAccount, AWSService and invokedBy, IdentityCenterUser
// with onBehalfOf and additionalEventData.UserName, WebIdentityUser,
// SAMLUser, Directory, Unknown) into a Principal: ARN, account, role and
// session name, Identity Center permission set, MFA, session creation time,
// source identity, web identity and SAML provider data. ParseEvent adds the
// event's own fields and, for AssumeRole, AssumeRoleWithSAML,
// AssumeRoleWithWebIdentity, GetSessionToken, GetFederationToken and any
// other call whose response names credentials, the Issuance: the access key
// handed out, its expiry, session tags and transitive tag keys. A Parser
// does the same for a stream of records, sharing repeated strings between
// events.
//
// # Resolution
//
// A Resolver remembers the access keys events hand out. Resolve follows an
// event's userIdentity.accessKeyId to the event that issued it, then that
// event's caller's key, and so on (role chaining, across accounts and
// regions, through the role account's AWSAccount copy of a cross-account
// AssumeRole), until it reaches a principal that is its own origin. Where
// the chain leaves the input it falls back, in order, on what the last
// session's record says: a federated user's issuer, an IAM Identity Center
// role's session name, the source identity, EC2 instance credentials, the
// session name; else the answer is "unresolved". The Method constants name
// these; Actor.Evidence says what each answer rests on.
//
// Memory is bounded: credentials are forgotten once expired (plus the
// window) or, past Config.MaxCredentials, soonest-expiring first.
//
// # Out-of-order input
//
// Files are not globally ordered, so a key's use may be read before the
// event that issued it. A Window holds events in event-time order for
// Config.Window of event time (at most Config.WindowEvents of them),
// recording issued keys as soon as events arrive and resolving each event
// when it leaves. See Window and docs/identity.md.
//
// # Use
//
// Resolving a stream (the actors and whois commands):
//
//	r := identity.NewResolver(identity.DefaultConfig())
//	w := identity.NewWindow(r)
//	for each record rec {
//		w.Push(identity.FromRecord(rec), emit) // emit(*Event, Actor) in event-time order
//	}
//	w.Flush(emit)
//
// Attaching the actor to a match found in event-time order elsewhere (the
// scan command): call r.ObserveRecord(rec) for every record, matching or
// not, since issuing events rarely match a rule; then for a match
//
//	ev := identity.FromRecord(rec)
//	actor := r.Resolve(&ev) // actor.Summary(): "alice@example.com via AWSReservedSSO_AdministratorAccess_abc123 (identity-center)"
//
// Actor marshals to the JSON the actors command prints. A Resolver and a
// Window are not safe for concurrent use.
package identity
