package identity

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/cloudtrail"
)

// readEvents decodes every record of the files under path (a file or a
// directory, walked in lexical order as the commands do).
func readEvents(t *testing.T, path string) []Event {
	t.Helper()
	var out []Event
	walkRecords(t, path, false, func(rec *cloudtrail.Record) { out = append(out, FromRecord(rec)) })
	return out
}

// walkRecords calls fn with every record of the files under path (a file
// or a directory, in lexical order), leaving out notes, licences and
// scripts. With lenient, files that are not CloudTrail and bad records
// are skipped; otherwise they fail the test.
func walkRecords(tb testing.TB, path string, lenient bool, fn func(*cloudtrail.Record)) {
	tb.Helper()
	var rd cloudtrail.Reader
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".py") || strings.Contains(p, "LICENSE") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		dec, err := rd.Decoder(f, p)
		if err != nil {
			if lenient {
				return nil
			}
			return err
		}
		for {
			rec, err := dec.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			var de *cloudtrail.DecodeError
			switch {
			case err == nil:
				fn(rec)
			case !lenient:
				return err
			case errors.As(err, &de) && !de.Fatal:
			default:
				return nil
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// resolved is one event as a Window released it.
type resolved struct {
	ev    Event
	actor Actor
}

// runWindow pushes events through a Window in the order given.
func runWindow(events []Event, cfg Config) ([]resolved, *Resolver) {
	r := NewResolver(cfg)
	w := NewWindow(r)
	var out []resolved
	emit := func(ev *Event, a Actor) { out = append(out, resolved{*ev, a}) }
	for _, ev := range events {
		w.Push(ev, emit)
	}
	w.Flush(emit)
	return out, r
}

func byID(t *testing.T, rs []resolved, id string) Actor {
	t.Helper()
	for _, r := range rs {
		if r.ev.ID == id {
			return r.actor
		}
	}
	t.Fatalf("event %s not released", id)
	return Actor{}
}

func chainIDs(a Actor) []string {
	ids := []string{}
	for _, l := range a.Chain {
		ids = append(ids, l.EventID)
	}
	return ids
}

// event parses a JSON record written in a test.
func event(t *testing.T, s string) Event {
	t.Helper()
	v, err := fastjson.Parse(s)
	if err != nil {
		t.Fatalf("test event: %v", err)
	}
	return ParseEvent(v)
}

// The constructed events below use one account unless they say otherwise.

func iamUserJSON(acct, name, key string) string {
	return fmt.Sprintf(`{"type":"IAMUser","principalId":"AIDA%s","arn":"arn:aws:iam::%s:user/%s","accountId":"%s","accessKeyId":"%s","userName":"%s"}`,
		strings.ToUpper(name), acct, name, acct, key, name)
}

func sessionJSON(acct, role, session, key, sourceIdentity string) string {
	si := ""
	if sourceIdentity != "" {
		si = fmt.Sprintf(`,"sourceIdentity":"%s"`, sourceIdentity)
	}
	return fmt.Sprintf(`{"type":"AssumedRole","principalId":"AROA%s:%s","arn":"arn:aws:sts::%s:assumed-role/%s/%s","accountId":"%s","accessKeyId":"%s",`+
		`"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA%s","arn":"arn:aws:iam::%s:role/%s","accountId":"%s","userName":"%s"},`+
		`"attributes":{"creationDate":"2025-01-01T00:00:00Z","mfaAuthenticated":"false"}%s}}`,
		strings.ToUpper(role), session, acct, role, session, acct, key, strings.ToUpper(role), acct, role, acct, role, si)
}

// assumeRoleJSON is an AssumeRole by ui at time tm issuing newKey for
// role in roleAcct, expiring at exp (CloudTrail's text format).
func assumeRoleJSON(id, tm, ui, roleAcct, role, session, newKey, exp, extraReq string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":%s,"eventTime":"%s","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",`+
		`"awsRegion":"us-east-1","requestParameters":{"roleArn":"arn:aws:iam::%s:role/%s","roleSessionName":"%s"%s},`+
		`"responseElements":{"credentials":{"accessKeyId":"%s","sessionToken":"x","expiration":"%s"},`+
		`"assumedRoleUser":{"assumedRoleId":"AROA%s:%s","arn":"arn:aws:sts::%s:assumed-role/%s/%s"}},"eventID":"%s","recipientAccountId":"%s"}`,
		ui, tm, roleAcct, role, session, extraReq, newKey, exp, strings.ToUpper(role), session, roleAcct, role, session, id, roleAcct)
}

func callJSON(id, tm, name, ui string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":%s,"eventTime":"%s","eventSource":"ec2.amazonaws.com","eventName":"%s","awsRegion":"eu-west-1","eventID":"%s"}`,
		ui, tm, name, id)
}
