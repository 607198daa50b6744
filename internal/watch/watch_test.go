package watch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/identity"
	"github.com/trailwatch/trailwatch/internal/notify"
	"github.com/trailwatch/trailwatch/internal/pipeline"
	"github.com/trailwatch/trailwatch/internal/rules"
	"github.com/trailwatch/trailwatch/internal/rules/engine"
	"github.com/trailwatch/trailwatch/internal/source"
)

const account = "111122223333"

// rulesDoc alerts on every CreateUser through a webhook, and counts
// DeleteTrail into an alarm.
func rulesDoc(hook string) string {
	return `
subscriptionFilters:
  - filterName: new-users
    filterPattern: '{ $.eventName = CreateUser }'
    destinationArn: arn:aws:sns:us-east-1:111122223333:alerts
metricFilters:
  - filterName: trail-deleted
    filterPattern: '{ $.eventName = DeleteTrail }'
    metricTransformations:
      - {metricName: TrailDeleted, metricNamespace: T, metricValue: "1"}
alarms:
  - AlarmName: TrailDeleted
    MetricName: TrailDeleted
    Namespace: T
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
    TreatMissingData: notBreaching
    AlarmActions: ['arn:aws:sns:us-east-1:111122223333:alerts']
targets:
  - arn: arn:aws:sns:us-east-1:111122223333:alerts
    subscriptions:
      - {protocol: http, endpoint: '` + hook + `'}
`
}

// hookServer is a webhook counting deliveries by event ID (subscription
// filter notifications carry the event as their message) and alarm subject.
type hookServer struct {
	*httptest.Server
	mu    sync.Mutex
	got   map[string]int
	fail  bool // answer 500
	total int
}

func newHook(t *testing.T) *hookServer {
	h := &hookServer{got: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var env struct{ Subject, Message string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &env)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		h.total++
		var ev struct{ EventID string }
		if json.Unmarshal([]byte(env.Message), &ev) == nil && ev.EventID != "" {
			h.got[ev.EventID]++
		} else {
			h.got[env.Subject]++
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.got {
		out[k] = v
	}
	return out
}

func (h *hookServer) setFail(b bool) { h.mu.Lock(); h.fail = b; h.mu.Unlock() }

func event(id, name string, t time.Time) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::%[1]s:user/alice","accountId":"%[1]s","userName":"alice"},"eventTime":"%[2]s","eventSource":"iam.amazonaws.com","eventName":"%[3]s","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","requestParameters":{"userName":"bob"},"eventID":"%[4]s","recipientAccountId":"%[1]s"}`,
		account, t.UTC().Format(time.RFC3339), name, id)
}

func logFile(t *testing.T, events ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"Records":[%s]}`, strings.Join(events, ","))
	zw.Close()
	return buf.Bytes()
}

// key is a delivery-layout key for account/region at delivery time t.
func key(prefix, region string, t time.Time, unique string) string {
	t = t.UTC()
	return fmt.Sprintf("%sAWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		prefix, account, region, t.Format("2006/01/02"), account, region, t.Format("20060102T1504Z"), unique)
}

func put(t *testing.T, root, key string, data []byte) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type harness struct {
	t      *testing.T
	state  string
	hook   *hookServer
	clock  time.Time
	out    []engine.Output
	logs   bytes.Buffer
	start  time.Time
	noSend bool
}

func newHarness(t *testing.T, clock time.Time) *harness {
	return &harness{t: t, state: filepath.Join(t.TempDir(), "state.json"), hook: newHook(t), clock: clock, start: clock.Add(-time.Hour)}
}

// watcher starts a watcher as a new process would: a fresh program and
// identity state, the state file from before.
func (h *harness) watcher() *Watcher {
	h.t.Helper()
	set, err := rules.Load("rules.yaml", []byte(rulesDoc(h.hook.URL)), rules.LoadOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	ids := pipeline.NewIdentity(identity.DefaultConfig())
	prog, err := engine.Compile(set, engine.Options{Lateness: 10 * time.Minute, Actor: ids.Actor, Extra: ids.Extra, Immediate: true})
	if err != nil {
		h.t.Fatal(err)
	}
	var router notify.Router
	if !h.noSend {
		router = notify.NewRouter(notify.Config{})
	}
	retry := notify.Retry{Attempts: 2, Sleep: func(context.Context, time.Duration) error { return nil }}
	cfg := Config{StatePath: h.state, Allowance: 10 * time.Minute, Interval: time.Millisecond, Lookback: time.Hour,
		DedupeWindow: 24 * time.Hour, Start: h.start, Once: true, Now: func() time.Time { return h.clock }}
	w, err := New(cfg, pipeline.New(prog, ids, 2), func(o engine.Output) { h.out = append(h.out, o) }, router, retry,
		slog.New(slog.NewTextHandler(&h.logs, nil)), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return w
}

func (h *harness) poll(locs ...Location) {
	h.t.Helper()
	if err := h.watcher().Poll(context.Background(), locs); err != nil {
		h.t.Fatal(err)
	}
}

func wantCounts(t *testing.T, got map[string]int, want map[string]int) {
	t.Helper()
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: got %d, want %d", k, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: got %d, want none", k, v))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("deliveries:\n%s", strings.Join(diffs, "\n"))
	}
}

// Restarts (each poll is a new process) never lose or repeat an alert;
// an object landing late, with a key before the checkpoint, is found.
func TestPollRestartsExactlyOnce(t *testing.T) {
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	h := newHarness(t, base.Add(20*time.Minute))
	dir := t.TempDir()
	loc := Location{Bucket: source.Dir{Root: dir}}

	put(t, dir, key("", "us-east-1", base.Add(5*time.Minute), "a"), logFile(t, event("u1", "CreateUser", base.Add(time.Minute)), event("x1", "ListUsers", base)))
	put(t, dir, key("", "eu-west-1", base.Add(6*time.Minute), "b"), logFile(t, event("u2", "CreateUser", base.Add(2*time.Minute))))
	h.poll(loc)
	wantCounts(t, h.hook.counts(), map[string]int{"u1": 1, "u2": 1})

	// Restart with nothing new: nothing sent again.
	h.clock = h.clock.Add(time.Minute)
	h.poll(loc)
	wantCounts(t, h.hook.counts(), map[string]int{"u1": 1, "u2": 1})

	// New objects, one of them late (its key sorts before the newest).
	put(t, dir, key("", "us-east-1", base.Add(15*time.Minute), "c"), logFile(t, event("u3", "CreateUser", base.Add(12*time.Minute))))
	put(t, dir, key("", "us-east-1", base.Add(4*time.Minute), "late"), logFile(t, event("u4", "CreateUser", base.Add(3*time.Minute))))
	h.clock = h.clock.Add(5 * time.Minute)
	h.poll(loc)
	wantCounts(t, h.hook.counts(), map[string]int{"u1": 1, "u2": 1, "u3": 1, "u4": 1})

	// A trail deletion raises the alarm once, however often we restart.
	put(t, dir, key("", "us-east-1", base.Add(25*time.Minute), "d"), logFile(t, event("d1", "DeleteTrail", base.Add(21*time.Minute))))
	for range 3 {
		h.clock = h.clock.Add(10 * time.Minute)
		h.poll(loc)
	}
	got := h.hook.counts()
	alarms := 0
	for k, v := range got {
		if strings.Contains(k, "TrailDeleted") {
			alarms += v
		}
	}
	if alarms != 1 || got["d1"] != 0 {
		t.Errorf("alarm notifications %d, want 1 (%v)\n%s", alarms, got, h.logs.String())
	}
}

// A delivery that fails leaves its object unchecked: the next poll sends
// what is missing and nothing twice.
func TestPollDeliveryFailureRetried(t *testing.T) {
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	h := newHarness(t, base.Add(20*time.Minute))
	dir := t.TempDir()
	loc := Location{Bucket: source.Dir{Root: dir}}
	put(t, dir, key("", "us-east-1", base.Add(5*time.Minute), "a"), logFile(t, event("u1", "CreateUser", base.Add(time.Minute))))
	h.hook.setFail(true)
	h.poll(loc)
	wantCounts(t, h.hook.counts(), map[string]int{})
	if !strings.Contains(h.logs.String(), "delivery failed") {
		t.Errorf("no failure logged:\n%s", h.logs.String())
	}
	h.hook.setFail(false)
	h.clock = h.clock.Add(time.Minute)
	h.poll(loc)
	h.poll(loc)
	wantCounts(t, h.hook.counts(), map[string]int{"u1": 1})
}

// A corrupt object is reported, passed, and does not stop the others.
func TestPollCorruptObject(t *testing.T) {
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	h := newHarness(t, base.Add(20*time.Minute))
	dir := t.TempDir()
	loc := Location{Bucket: source.Dir{Root: dir}}
	good := logFile(t, event("u1", "CreateUser", base.Add(time.Minute)))
	put(t, dir, key("", "us-east-1", base.Add(5*time.Minute), "a"), good[:len(good)/2])
	put(t, dir, key("", "us-east-1", base.Add(6*time.Minute), "b"), logFile(t, event("u2", "CreateUser", base.Add(2*time.Minute))))
	h.poll(loc)
	wantCounts(t, h.hook.counts(), map[string]int{"u2": 1})
	if !strings.Contains(h.logs.String(), "_a.json.gz") {
		t.Errorf("corrupt object not named in the log:\n%s", h.logs.String())
	}
	h.clock = h.clock.Add(time.Minute)
	h.logs.Reset()
	h.poll(loc)
	if strings.Contains(h.logs.String(), "read failed") {
		t.Errorf("corrupt object read again:\n%s", h.logs.String())
	}
}

// Account and region filters, organization trails, prefixes before
// AWSLogs/, digest files skipped.
func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	tm := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, k := range []string{
		"trails/AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2025/03/01/111122223333_CloudTrail_us-east-1_20250301T1000Z_x.json.gz",
		"trails/AWSLogs/o-abc123/444455556666/CloudTrail/eu-west-1/2025/03/01/444455556666_CloudTrail_eu-west-1_20250301T1000Z_x.json.gz",
		"trails/AWSLogs/o-abc123/444455556666/CloudTrail/us-east-1/2025/03/01/444455556666_CloudTrail_us-east-1_20250301T1000Z_x.json.gz",
		"trails/AWSLogs/o-abc123/444455556666/CloudTrail-Digest/us-east-1/2025/03/01/444455556666_CloudTrail-Digest_us-east-1_t_us-east-1_20250301T100000Z.json.gz",
		"trails/AWSLogs/777788889999/CloudTrail/us-east-1/2025/03/01/777788889999_CloudTrail_us-east-1_20250301T1000Z_x.json.gz",
	} {
		put(t, dir, k, logFile(t, event("e", "ListUsers", tm)))
	}
	cases := []struct {
		accounts, regions []string
		want              []string
	}{
		{nil, nil, []string{"777788889999/CloudTrail/us-east-1/", "o-abc123/111122223333/CloudTrail/us-east-1/", "o-abc123/444455556666/CloudTrail/eu-west-1/", "o-abc123/444455556666/CloudTrail/us-east-1/"}},
		{[]string{"444455556666"}, nil, []string{"o-abc123/444455556666/CloudTrail/eu-west-1/", "o-abc123/444455556666/CloudTrail/us-east-1/"}},
		{nil, []string{"us-east-1"}, []string{"777788889999/CloudTrail/us-east-1/", "o-abc123/111122223333/CloudTrail/us-east-1/", "o-abc123/444455556666/CloudTrail/us-east-1/"}},
	}
	for _, c := range cases {
		w := &Watcher{cfg: Config{Accounts: c.accounts, Regions: c.regions}}
		ps, err := w.discover(context.Background(), Location{Bucket: source.Dir{Root: dir}, Prefix: "trails/"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, strings.TrimPrefix(p.prefix, "trails/AWSLogs/"))
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("accounts %v regions %v: got %v, want %v", c.accounts, c.regions, got, c.want)
		}
	}
}

// The state file is replaced atomically and reads back.
func TestStateSaveLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.json")
	s, err := LoadState(p)
	if err != nil {
		t.Fatal(err)
	}
	s.Prefixes["x"] = &Checkpoint{After: "k", Recent: map[string]time.Time{"k": time.Unix(60, 0).UTC()}}
	s.mark("a", time.Unix(0, 0).UTC())
	if err := s.Save(p); err != nil {
		t.Fatal(err)
	}
	r, err := LoadState(p)
	if err != nil || r.Prefixes["x"].After != "k" || !r.seen("a") {
		t.Fatalf("read back %+v, %v", r, err)
	}
	os.WriteFile(p, []byte("{"), 0o644)
	if _, err := LoadState(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("corrupt state: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

// /healthz follows the last successful poll; /metrics is Prometheus text.
func TestHealthAndMetrics(t *testing.T) {
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	m := NewMetrics()
	srv := httptest.NewServer(m.Handler(3*time.Minute, func() time.Time { return now }))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 503 {
		t.Errorf("before any poll: %d", code)
	}
	m.polled(now.Add(-time.Minute))
	m.Matches.WithLabelValues("f").Add(3)
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("after a poll: %d", code)
	}
	now = now.Add(10 * time.Minute)
	if code, body := get("/healthz"); code != 503 || !strings.Contains(body, "last successful poll") {
		t.Errorf("stale: %d %q", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, `trailwatch_matches_total{filter="f"} 3`) || !strings.Contains(body, "trailwatch_lag_seconds") {
		t.Errorf("metrics:\n%s", body)
	}
}
