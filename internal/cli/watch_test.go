package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleTrail = "../../testdata/sample-trail"

// watch --once over the bundled trail reports what scan reports (same
// matches, same alarm changes), and a second run reports nothing again.
func TestWatchOnceMatchesScan(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	out, errs, code := run(t, "", "watch", "--pack", "cis", "--state", state, "--once", "--start", "2024-01-01", "--format", "json", sampleTrail)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	count := func(s, typ string) int {
		n := 0
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			var x struct{ Type string }
			if json.Unmarshal([]byte(l), &x) == nil && x.Type == typ {
				n++
			}
		}
		return n
	}
	scanOut, errs, code := run(t, "", "scan", "--pack", "cis", "--format", "json", sampleTrail)
	if code != 0 {
		t.Fatalf("scan exit %d: %s", code, errs)
	}
	if w, s := count(out, "match"), count(scanOut, "match"); w != s || w == 0 {
		t.Errorf("watch reported %d matches, scan %d", w, s)
	}
	if w, s := count(out, "alarm"), count(scanOut, "alarm"); w == 0 || w > s {
		t.Errorf("watch reported %d alarm changes, scan %d", w, s)
	}
	again, errs, code := run(t, "", "watch", "--pack", "cis", "--state", state, "--once", "--start", "2024-01-01", "--format", "json", sampleTrail)
	if code != 0 || strings.TrimSpace(again) != "" {
		t.Errorf("second run: exit %d, output %q, %s", code, again, errs)
	}
	if _, err := os.Stat(state); err != nil {
		t.Error(err)
	}
}

func TestWatchUsage(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "s.json")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"watch", "--pack", "cis", sampleTrail}, "--state FILE is required"},
		{[]string{"watch", "--pack", "cis", "--state", state}, "give SOURCE"},
		{[]string{"watch", "--pack", "cis", "--state", state, "--sqs", "https://q", sampleTrail}, "not both"},
		{[]string{"watch", "--pack", "cis", "--state", state, "--format", "xml", sampleTrail}, "--format must be log or json"},
		{[]string{"watch", "--pack", "cis", "--state", state, "s3:/nope"}, "want s3://BUCKET"},
		{[]string{"watch", "--pack", "cis", "--state", state, "--start", "yesterday", sampleTrail}, "--start"},
		{[]string{"lambda", "--pack", "cis"}, "not running in AWS Lambda"},
	}
	for _, c := range cases {
		_, errs, code := run(t, "", c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
	}
	os.WriteFile(state, []byte("{broken"), 0o644)
	_, errs, code := run(t, "", "watch", "--pack", "cis", "--state", state, "--once", sampleTrail)
	if code != 2 || !strings.Contains(errs, "not a trailwatch state file") {
		t.Errorf("corrupt state: exit %d, %q", code, errs)
	}
}

// lambda --event runs the handler once on a saved payload.
func TestLambdaEvent(t *testing.T) {
	ev := filepath.Join(t.TempDir(), "ev.json")
	os.WriteFile(ev, []byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\"}"}]}`), 0o644)
	out, errs, code := run(t, "", "lambda", "--pack", "cis", "--event", ev)
	if code != 0 || strings.TrimSpace(out) != `{"batchItemFailures":[]}` {
		t.Errorf("exit %d, out %q, err %q", code, out, errs)
	}
}
