package identity

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
)

const stratus = "../../testdata/stratus-red-team"

// TestStratusChains resolves real detonation logs. Their records are newest
// first, so every use of an issued key arrives before the AssumeRole or
// GetFederationToken that issued it: the window puts them back in order.
func TestStratusChains(t *testing.T) {
	tests := []struct {
		file    string
		events  string // eventName of the events checked
		n       int    // how many there are
		summary string
		chain   []string
	}{
		{"aws.credential-access.ec2-get-password-data.json", "GetPasswordData", 30,
			"christophe via stratus-red-team-ec2-get-password-data-role (key-chain)", []string{"fd179e25-9f1a-406c-8d7d-62f9d4938ef6"}},
		{"aws.persistence.sts-federation-token.json", "GetCallerIdentity", 1,
			"stratus-red-team-user-federation-user via federated user stratus_red_team (key-chain)", []string{"6e882b9d-2af8-4c67-b91f-aeac6a0e5e70"}},
		{"aws.defense-evasion.organizations-leave.json", "LeaveOrganization", 1,
			"christophe via stratus-red-team-leave-org-role (key-chain)", []string{"099bfd30-232c-4dff-9998-3821921063ca"}},
		{"aws.discovery.ec2-download-user-data.json", "DescribeInstanceAttribute", 15,
			"christophe via stratus-red-team-get-usr-data-role (key-chain)", []string{"eebae605-3664-4560-a248-17d33f9ef6ef"}},
		{"aws.execution.ec2-launch-unusual-instances.json", "RunInstances", 1,
			"christophe via stratus-red-team-ec2lui-role-idtzskbvtd (key-chain)", []string{"04c882a5-7652-40d1-b44c-83535fc19268"}},
		// Stolen instance credentials: the instance's AssumeRole is not
		// in the file; ec2RoleDelivery says EC2 delivered them.
		{"aws.credential-access.ec2-steal-instance-credentials.json", "DescribeInstances", 1,
			"ec2.amazonaws.com (i-786a3A8B5C0d92eF4) via stratus-red-team-ec2-steal-credentials-role (session-name)", []string{}},
		// An Identity Center session whose anonymised ARN lost its '/':
		// the principal ID still has the session name.
		{"aws.lateral-movement.ec2-serial-console-send-ssh-public-key.json", "SendSerialConsoleSSHPublicKey", 3,
			"randomca0L529zwNAY@gmail.com via AWSReservedSSO_account-admin_599c9e90e350d2ff (identity-center)", []string{}},
		{"aws.impact.bedrock-invoke-model.json", "InvokeModel", 1, "cli via test-role (session-name)", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out, _ := runWindow(readEvents(t, filepath.Join(stratus, tt.file)), DefaultConfig())
			n := 0
			for _, r := range out {
				if r.ev.Name != tt.events {
					continue
				}
				n++
				if got := r.actor.Summary(); got != tt.summary {
					t.Errorf("%s: %q, want %q", r.ev.ID, got, tt.summary)
				}
				if got := chainIDs(r.actor); !slices.Equal(got, tt.chain) {
					t.Errorf("%s: chain %v, want %v", r.ev.ID, got, tt.chain)
				}
			}
			if n != tt.n {
				t.Errorf("%d %s events, want %d", n, tt.events, tt.n)
			}
		})
	}
}

// TestStratusKeyChainInvariant checks every file: an event whose access key
// was issued by another event in the same file resolves through that event;
// no other event claims a key chain.
func TestStratusKeyChainInvariant(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(stratus, "*.json"))
	if err != nil || len(files) < 30 {
		t.Fatalf("stratus files: %v, %v", files, err)
	}
	chained := 0
	for _, f := range files {
		events := readEvents(t, f)
		issuer := map[string]string{}
		for _, ev := range events {
			if ev.Issue != nil {
				issuer[ev.Issue.AccessKeyID] = ev.ID
			}
		}
		out, _ := runWindow(events, DefaultConfig())
		if len(out) != len(events) {
			t.Errorf("%s: %d events in, %d out", f, len(events), len(out))
		}
		for _, r := range out {
			id, issued := issuer[r.ev.Principal.AccessKeyID]
			issued = issued && id != r.ev.ID
			if issued {
				chained++
				if r.actor.Method != MethodKeyChain || len(r.actor.Chain) == 0 || r.actor.Chain[len(r.actor.Chain)-1].EventID != id {
					t.Errorf("%s %s: %s, chain %v; want key-chain through %s", filepath.Base(f), r.ev.ID, r.actor.Summary(), chainIDs(r.actor), id)
				}
			} else if r.actor.Method == MethodKeyChain {
				t.Errorf("%s %s: key-chain claimed without an issuing event", filepath.Base(f), r.ev.ID)
			}
		}
	}
	if chained != 48 {
		t.Errorf("%d events used keys issued in their file, want 48", chained)
	}
}

// TestStratusNeedsWindow shows what the window is for: resolving each event
// as it arrives (newest first) finds none of the 30 chains.
func TestStratusNeedsWindow(t *testing.T) {
	events := readEvents(t, filepath.Join(stratus, "aws.credential-access.ec2-get-password-data.json"))
	out, r := runWindow(events, Config{Window: 0, WindowEvents: 1})
	chained := 0
	for _, x := range out {
		if x.ev.Name == "GetPasswordData" && x.actor.Method == MethodKeyChain {
			chained++
		}
	}
	// Holding one event lets only the last use before the AssumeRole wait
	// for it.
	if chained != 1 {
		t.Errorf("%d of 30 uses resolved through their AssumeRole with a one-event window, want 1", chained)
	}
	if r.Stats().Late == 0 {
		t.Error("no late events counted")
	}
}

const org = "../../testdata/identity/chains/org"

// TestOrgTrailChains follows a three-hop chain across accounts and regions
// of an organization trail: alice (account 222…) assumes Admin, then
// Deployer in 111…, then DataReader in 333…. The role accounts' files
// come first in the walk, so uses arrive before the keys' issuing events,
// and each cross-account AssumeRole is also logged in the role's account
// with userIdentity type AWSAccount.
func TestOrgTrailChains(t *testing.T) {
	out, r := runWindow(readEvents(t, org), DefaultConfig())
	if len(out) != 11 {
		t.Fatalf("%d events, want 11", len(out))
	}
	for i := 1; i < len(out); i++ {
		if out[i].ev.Time.Before(out[i-1].ev.Time) {
			t.Errorf("released out of event-time order: %s after %s", out[i].ev.TimeText, out[i-1].ev.TimeText)
		}
	}
	id := func(n int) string { return fmt.Sprintf("e0000000-0000-4000-8000-%012d", n) }
	hop1, hop2, hop3 := id(1), id(2), id(5)

	upd := byID(t, out, id(4))
	if upd.Summary() != "alice via Deployer (key-chain)" || !slices.Equal(chainIDs(upd), []string{hop1, hop2}) || upd.SourceIdentity != "alice" {
		t.Errorf("UpdateFunctionCode: %s chain %v si %q", upd.Summary(), chainIDs(upd), upd.SourceIdentity)
	}
	if upd.Origin.ARN != "arn:aws:iam::222222222222:user/alice" || upd.Origin.Type != TypeIAMUser {
		t.Errorf("origin %+v", upd.Origin)
	}
	l0, l1 := upd.Chain[0], upd.Chain[1]
	if l0.AccessKeyID != "ASIAHOP1EXAMPLE00001" || l0.ARN != "arn:aws:sts::222222222222:assumed-role/Admin/alice" || l0.Caller.ARN != upd.Origin.ARN ||
		fmt.Sprint(l0.SessionTags) != "map[Email:alice@example.com Team:platform]" || fmt.Sprint(l0.TransitiveTagKeys) != "[Team]" ||
		l0.Expiration != "2025-03-01T11:00:00Z" || l0.SourceIdentity != "alice" || l0.Region != "us-east-1" {
		t.Errorf("first link %+v", l0)
	}
	if l1.AccessKeyID != "ASIAHOP2EXAMPLE00002" || l1.AccountID != "222222222222" || l1.Region != "eu-west-1" || l1.Caller.ARN != l0.ARN {
		t.Errorf("second link %+v (want the caller account's copy)", l1)
	}

	for _, n := range []int{7, 8, 9, 10} {
		a := byID(t, out, id(n))
		if a.Summary() != "alice via DataReader (key-chain)" || !slices.Equal(chainIDs(a), []string{hop1, hop2, hop3}) {
			t.Errorf("%s %s: %s chain %v", id(n), a.EventName, a.Summary(), chainIDs(a))
		}
		if a.Chain[2].AccountID != "111111111111" {
			t.Errorf("%s: third link logged in %s, want the caller account 111111111111", id(n), a.Chain[2].AccountID)
		}
	}
	// The role accounts' copies (userIdentity AWSAccount) resolve through
	// the caller accounts' copies.
	for n, want := range map[int][]string{3: {hop1}, 6: {hop1, hop2}} {
		a := byID(t, out, id(n))
		if a.Principal.Type != TypeAWSAccount || a.Summary() != "alice (key-chain)" || !slices.Equal(chainIDs(a), want) {
			t.Errorf("%s: %s %s chain %v, want %v", id(n), a.Principal.Type, a.Summary(), chainIDs(a), want)
		}
	}
	if s := r.Stats(); s.Issued != 3 || s.Late != 0 {
		t.Errorf("stats %+v: want 3 keys recorded (twins merged), none late", s)
	}
}

// TestOrgTrailNeedsWindow: when the window may hold only one event, the
// AssumeRole into DataReader (second in the walk) is resolved before any
// copy of the hop that issued its key arrives; the source identity the
// session carries names the origin, and the role account's copy of that hop
// names only an account and the source identity asked for.
func TestOrgTrailNeedsWindow(t *testing.T) {
	out, r := runWindow(readEvents(t, org), Config{Window: time.Hour, WindowEvents: 1})
	a := byID(t, out, "e0000000-0000-4000-8000-000000000005")
	if a.Summary() != "alice via Deployer (sourceIdentity)" || len(a.Chain) != 0 {
		t.Errorf("hop 3 resolved early: %s chain %v", a.Summary(), chainIDs(a))
	}
	if a := byID(t, out, "e0000000-0000-4000-8000-000000000003"); a.Summary() != "alice (sourceIdentity)" {
		t.Errorf("role account's copy of hop 2 resolved early: %s", a.Summary())
	}
	if s := r.Stats(); s.Forced == 0 || s.MaxHeld != 1 {
		t.Errorf("stats %+v: want forced releases and at most 1 event held", s)
	}
}

// TestIdentityCenterChain: a sign-in through IAM Identity Center is an
// AssumeRoleWithSAML into an AWSReservedSSO_ role; its key leads to the
// Identity Center user. Another user's session, whose sign-in is not in
// the input, is named by the session name Identity Center sets.
func TestIdentityCenterChain(t *testing.T) {
	out, _ := runWindow(readEvents(t, "../../testdata/identity/chains/sso.jsonl"), DefaultConfig())
	for _, x := range out {
		a := x.actor
		switch x.ev.Name {
		case "DeleteBucket":
			want := Origin{Type: TypeIdentityCenterUser, Name: "alice@example.com", ID: "Uxy1EXAMPLEqualifier=:alice@example.com",
				Provider: "arn:aws:iam::111111111111:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE", PermissionSet: "AdministratorAccess"}
			if a.Origin != want || a.Method != MethodKeyChain || len(a.Chain) != 1 || a.Chain[0].EventName != "AssumeRoleWithSAML" ||
				fmt.Sprint(a.Chain[0].SessionTags) != "map[Department:Finance]" {
				t.Errorf("DeleteBucket: %+v %s %+v", a.Origin, a.Method, a.Chain)
			}
			if a.Summary() != "alice@example.com via AWSReservedSSO_AdministratorAccess_abc123def4567890 (key-chain)" {
				t.Errorf("summary %q", a.Summary())
			}
		case "GetObject":
			if a.Summary() != "bob@example.com via AWSReservedSSO_ReadOnly_0f0f0f0f0f0f0f0f (identity-center)" || a.Origin.PermissionSet != "ReadOnly" {
				t.Errorf("GetObject: %s %+v", a.Summary(), a.Origin)
			}
		case "AssumeRoleWithSAML":
			if a.Summary() != "alice@example.com (direct)" || a.Origin.Type != TypeIdentityCenterUser {
				t.Errorf("sign-in: %s %+v", a.Summary(), a.Origin)
			}
		default:
			t.Errorf("unexpected event %s", x.ev.Name)
		}
	}
}

// TestExpiredCredentials: a 15-minute key resolves inside its lifetime, not
// after it, and is forgotten once no event still to come can use it.
func TestExpiredCredentials(t *testing.T) {
	events := readEvents(t, "../../testdata/identity/chains/expired.json")
	out, r := runWindow(events, DefaultConfig())
	if a := byID(t, out, events[1].ID); a.Summary() != "carol via Ops (key-chain)" {
		t.Errorf("use inside the lifetime: %s", a.Summary())
	}
	late := byID(t, out, events[2].ID)
	if late.Method == MethodKeyChain || !strings.Contains(strings.Join(late.Evidence, "\n"), "ASIASHORT0000000001") {
		t.Errorf("use after expiry: %s %q", late.Summary(), late.Evidence)
	}
	if s := r.Stats(); s.Expired != 1 || s.Credentials != 0 {
		t.Errorf("stats %+v: want the key forgotten", s)
	}

	// Without pruning (a long window), the expiry itself refuses the link.
	r2 := NewResolver(Config{Window: 2 * time.Hour})
	for i := range events {
		r2.Observe(&events[i])
	}
	a := r2.Resolve(&events[2])
	if a.Method == MethodKeyChain || !strings.Contains(strings.Join(a.Evidence, "\n"), "expired at 2025-03-02T10:15:00Z, before this use") {
		t.Errorf("expired key: %s %q", a.Summary(), a.Evidence)
	}
	if a := r2.Resolve(&events[1]); a.Method != MethodKeyChain {
		t.Errorf("valid key: %s", a.Summary())
	}
}

// TestRoleChaining builds a four-hop chain in one account, carried by a
// source identity, out of order, and a loop that must end.
func TestRoleChaining(t *testing.T) {
	const acct = "444455556666"
	exp := "Jun 1, 2025, 1:00:00 PM"
	events := []Event{
		event(t, callJSON("use", "2025-06-01T12:10:00Z", "TerminateInstances", sessionJSON(acct, "R4", "s4", "ASIAKEY4", "dave"))),
		event(t, assumeRoleJSON("h3", "2025-06-01T12:03:00Z", sessionJSON(acct, "R3", "s3", "ASIAKEY3", "dave"), acct, "R4", "s4", "ASIAKEY4", exp, `,"sourceIdentity":"dave"`)),
		event(t, assumeRoleJSON("h1", "2025-06-01T12:01:00Z", sessionJSON(acct, "R1", "s1", "ASIAKEY1", "dave"), acct, "R2", "s2", "ASIAKEY2", exp, `,"sourceIdentity":"dave"`)),
		event(t, assumeRoleJSON("h2", "2025-06-01T12:02:00Z", sessionJSON(acct, "R2", "s2", "ASIAKEY2", "dave"), acct, "R3", "s3", "ASIAKEY3", exp, `,"sourceIdentity":"dave"`)),
		event(t, assumeRoleJSON("h0", "2025-06-01T12:00:00Z", iamUserJSON(acct, "dave", "AKIADAVE"), acct, "R1", "s1", "ASIAKEY1", exp,
			`,"sourceIdentity":"dave","tags":[{"key":"Project","value":"x"}],"transitiveTagKeys":["Project"]`)),
	}
	out, _ := runWindow(events, DefaultConfig())
	a := byID(t, out, "use")
	if a.Summary() != "dave via R4 (key-chain)" || !slices.Equal(chainIDs(a), []string{"h0", "h1", "h2", "h3"}) || a.SourceIdentity != "dave" {
		t.Errorf("%s chain %v si %q", a.Summary(), chainIDs(a), a.SourceIdentity)
	}
	for i, l := range a.Chain {
		if want := fmt.Sprintf("ASIAKEY%d", i+1); l.AccessKeyID != want {
			t.Errorf("link %d issued %s, want %s", i, l.AccessKeyID, want)
		}
	}
	if a.Chain[0].TransitiveTagKeys[0] != "Project" || a.Chain[0].SessionTags["Project"] != "x" {
		t.Errorf("tags of the first hop: %+v", a.Chain[0])
	}
	// Without the first hop, the chain stops at R1's session and the
	// source identity names the origin.
	out, _ = runWindow(events[:4], DefaultConfig())
	a = byID(t, out, "use")
	if a.Summary() != "dave via R4 (sourceIdentity)" || !slices.Equal(chainIDs(a), []string{"h1", "h2", "h3"}) || a.Origin.Type != "SourceIdentity" {
		t.Errorf("partial chain: %s %v", a.Summary(), chainIDs(a))
	}

	// Two sessions that issued each other's keys (impossible in AWS, but
	// input can say anything): the walk ends.
	loop := []Event{
		event(t, assumeRoleJSON("a", "2025-06-01T12:00:00Z", sessionJSON(acct, "RA", "sa", "ASIALOOPB", ""), acct, "RB", "sb", "ASIALOOPA", exp, "")),
		event(t, assumeRoleJSON("b", "2025-06-01T12:00:01Z", sessionJSON(acct, "RB", "sb", "ASIALOOPA", ""), acct, "RA", "sa", "ASIALOOPB", exp, "")),
		event(t, callJSON("c", "2025-06-01T12:00:02Z", "ListUsers", sessionJSON(acct, "RA", "sa", "ASIALOOPB", ""))),
	}
	out, _ = runWindow(loop, DefaultConfig())
	a = byID(t, out, "c")
	if a.Method != MethodSessionName || len(a.Chain) != 2 || !strings.Contains(strings.Join(a.Evidence, "\n"), "loops back") {
		t.Errorf("loop: %s %v %q", a.Summary(), chainIDs(a), a.Evidence)
	}
}

// TestCrossAccountTwinOrder: whichever copy of a cross-account AssumeRole
// arrives first, the one naming the caller is kept.
func TestCrossAccountTwinOrder(t *testing.T) {
	exp := "Jun 1, 2025, 1:00:00 PM"
	caller := assumeRoleJSON("caller-copy", "2025-06-01T12:00:00Z", iamUserJSON("777788889999", "erin", "AKIAERIN"), "111122223333", "X", "erin", "ASIATWIN", exp, "")
	role := assumeRoleJSON("role-copy", "2025-06-01T12:00:00Z", `{"type":"AWSAccount","principalId":"AIDAERIN","accountId":"777788889999"}`, "111122223333", "X", "erin", "ASIATWIN", exp, "")
	use := callJSON("use", "2025-06-01T12:05:00Z", "ListBuckets", sessionJSON("111122223333", "X", "erin", "ASIATWIN", ""))
	for _, order := range [][]string{{role, caller, use}, {caller, role, use}, {use, role, caller}} {
		var events []Event
		for _, s := range order {
			events = append(events, event(t, s))
		}
		out, _ := runWindow(events, DefaultConfig())
		if a := byID(t, out, "use"); a.Summary() != "erin via X (key-chain)" || chainIDs(a)[0] != "caller-copy" {
			t.Errorf("use: %s %v", a.Summary(), chainIDs(a))
		}
		if a := byID(t, out, "role-copy"); a.Summary() != "erin (key-chain)" {
			t.Errorf("role account's copy: %s", a.Summary())
		}
	}
}

// TestMaxCredentials: past the bound, the keys expiring first are forgotten.
func TestMaxCredentials(t *testing.T) {
	ui := iamUserJSON("111122223333", "frank", "AKIAFRANK")
	r := NewResolver(Config{Window: time.Hour, MaxCredentials: 2})
	var uses []Event
	for i, exp := range []string{"Jun 1, 2025, 12:30:00 PM", "Jun 1, 2025, 12:10:00 PM", "Jun 1, 2025, 12:50:00 PM"} {
		key := fmt.Sprintf("ASIAMAX%d", i)
		ev := event(t, assumeRoleJSON(fmt.Sprint("i", i), "2025-06-01T12:00:00Z", ui, "111122223333", "R", "frank", key, exp, ""))
		r.Observe(&ev)
		uses = append(uses, event(t, callJSON(fmt.Sprint("u", i), "2025-06-01T12:01:00Z", "ListUsers", sessionJSON("111122223333", "R", "frank", key, ""))))
	}
	for i, want := range []Method{MethodKeyChain, MethodSessionName, MethodKeyChain} {
		if a := r.Resolve(&uses[i]); a.Method != want {
			t.Errorf("use of key %d: %s, want %s", i, a.Method, want)
		}
	}
	if s := r.Stats(); s.Evicted != 1 || s.Credentials != 2 {
		t.Errorf("stats %+v", s)
	}
}

// TestWindowBounds: the window never holds more than WindowEvents, holds
// events for Window of event time, and releases in event-time order.
func TestWindowBounds(t *testing.T) {
	ui := iamUserJSON("111122223333", "gina", "AKIAGINA")
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var events []Event
	for i := 0; i < 200; i++ {
		// Jittered: each event up to 4 minutes out of order.
		tm := base.Add(time.Duration(i)*time.Minute - time.Duration((i*7)%5)*time.Minute)
		events = append(events, event(t, callJSON(fmt.Sprint(i), tm.Format(time.RFC3339), "ListUsers", ui)))
	}
	out, r := runWindow(events, Config{Window: 5 * time.Minute, WindowEvents: 50})
	if len(out) != 200 {
		t.Fatalf("%d released", len(out))
	}
	for i := 1; i < len(out); i++ {
		if out[i].ev.Time.Before(out[i-1].ev.Time) {
			t.Fatalf("out of order at %d: %s after %s", i, out[i].ev.TimeText, out[i-1].ev.TimeText)
		}
	}
	if s := r.Stats(); s.Late != 0 || s.MaxHeld > 7 || s.Forced != 0 {
		t.Errorf("stats %+v: a 5-minute window over 1 event a minute holds about 6", s)
	}
	_, r = runWindow(events, Config{Window: time.Hour, WindowEvents: 10})
	if s := r.Stats(); s.MaxHeld != 10 || s.Forced == 0 {
		t.Errorf("stats %+v: want at most 10 held", s)
	}
}

// TestFederationChains: web identity, AWS service and GetSessionToken
// issuers, and the source identity of seed 002.
func TestFederationChains(t *testing.T) {
	cases := map[string]Event{}
	for _, c := range readCases(t, "../../testdata/identity/cases.jsonl") {
		cases[c.name] = ParseEvent(c.event)
	}
	web := cases["IAM guide: Example web identity AWS STS API event in CloudTrail log file / WebIdentityUser"]
	svc := cases["real: AWSService (ec2.amazonaws.com) AssumeRole for instance profile / AWSService"]
	const acct = "444455556666"
	gst := event(t, fmt.Sprintf(`{"eventTime":"2024-03-01T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken","eventID":"gst",
		"userIdentity":%s,"requestParameters":{"durationSeconds":3600,"serialNumber":"arn:aws:iam::111122223333:mfa/bob"},
		"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLEGST00001","expiration":"Mar 1, 2024, 10:00:00 AM","sessionToken":"x"}}}`,
		iamUserJSON("111122223333", "bob", "AKIABOB")))
	seed := event(t, assumeRoleJSON("seed002", "2021-04-15T04:14:36Z", iamUserJSON("123456789012", "TestUserForSourceID", "AKIATESTUSER"),
		"123456789012", "TestRoleForSourceID", "Dev-project", "EXAMPLEEXMAPLES5MW", "Apr 15, 2021, 5:14:36 AM", `,"sourceIdentity":"TestUserForSourceID"`))
	var seed002 Event
	for _, c := range readCases(t, "../../testdata/identity/extra-cases.jsonl") {
		if strings.HasPrefix(c.name, "constructed: seed 002") {
			seed002 = ParseEvent(c.event)
		}
	}
	// Each scenario runs alone: they are years apart, and a window run
	// over all of them would rightly drop the older ones as late.
	scenarios := [][]Event{
		{event(t, callJSON("web-use", "2016-03-23T01:45:00Z", "ListBuckets", sessionJSON(acct, "FederatedWebIdentityRole", "MyAssignedRoleSessionName", "ASIACQRSTUVWRAOEXAMPLE", "MyWebIdentityUser"))), web},
		{event(t, callJSON("svc-use", "2020-09-14T00:55:00Z", "GetObject", sessionJSON("123456789123", "MordorLogCollectorStack-LogCollectorRole-1JJTG88NNY4KN", "i-044b1baf4c96e1b62", "ASIA5FLZVX4OLY6BJN4L", ""))), svc},
		{gst, event(t, callJSON("gst-use", "2024-03-01T09:05:00Z", "DescribeInstances", `{"type":"IAMUser","principalId":"AIDABOB","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEGST00001","userName":"bob"}`))},
		{seed002, seed},
	}
	var out []resolved
	for _, events := range scenarios {
		o, _ := runWindow(events, DefaultConfig())
		out = append(out, o...)
	}
	if a := byID(t, out, "web-use"); a.Origin.Provider != "accounts.google.com" || a.SourceIdentity != "MyWebIdentityUser" || a.Origin.Type != TypeWebIdentityUser {
		t.Errorf("web identity origin %+v si %q", a.Origin, a.SourceIdentity)
	}
	if a := byID(t, out, "gst-use"); a.Chain[0].ARN != "arn:aws:iam::111122223333:user/bob" || a.Chain[0].EventName != "GetSessionToken" {
		t.Errorf("GetSessionToken link %+v", a.Chain[0])
	}
	if a := byID(t, out, "c0000000-0000-4000-8000-000000000007"); a.Origin.ARN != "arn:aws:iam::123456789012:user/TestUserForSourceID" || a.SourceIdentity != "TestUserForSourceID" {
		t.Errorf("seed 002: %+v si %q", a.Origin, a.SourceIdentity)
	}
}

// TestObserveRecord: the cheap path for records that issue nothing still
// moves the clock, and issuing records are recorded, as the scan command
// would use it (observe everything, resolve matches).
func TestObserveRecord(t *testing.T) {
	r := NewResolver(DefaultConfig())
	recs := readEvents(t, filepath.Join(stratus, "aws.persistence.sts-federation-token.json"))
	var rd cloudtrail.Reader
	f, err := os.Open(filepath.Join(stratus, "aws.persistence.sts-federation-token.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := rd.Decoder(f, "sts-federation-token.json")
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := dec.Next()
		if err != nil {
			break
		}
		r.ObserveRecord(rec)
	}
	if s := r.Stats(); s.Events != 2 || s.Issued != 1 {
		t.Errorf("stats %+v", s)
	}
	use := recs[1]
	if a := r.Resolve(&use); a.Method != MethodKeyChain {
		t.Errorf("%s", a.Summary())
	}
}
