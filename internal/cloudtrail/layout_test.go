package cloudtrail

import (
	"strings"
	"testing"
	"time"
)

func TestParseKey(t *testing.T) {
	cases := []struct {
		key  string
		ok   bool
		want Key
	}{
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/111122223333_CloudTrail_us-east-1_20250301T1005Z_abc.json.gz", true,
			Key{Prefix: "AWSLogs/111122223333/CloudTrail/us-east-1/", Account: "111122223333", Region: "us-east-1", Time: time.Date(2025, 3, 1, 10, 5, 0, 0, time.UTC)}},
		{"p/q/AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2025/03/01/111122223333_CloudTrail_eu-west-1_20250301T1005Z_abc.json.gz", true,
			Key{Prefix: "p/q/AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/", Org: "o-abc123", Account: "111122223333", Region: "eu-west-1", Time: time.Date(2025, 3, 1, 10, 5, 0, 0, time.UTC)}},
		{"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/01/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20250301T100512Z.json.gz", true,
			Key{Prefix: "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/", Account: "111122223333", Region: "us-east-1", Time: time.Date(2025, 3, 1, 10, 5, 12, 0, time.UTC), Digest: true}},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/readme.txt", false, Key{}},
		{"AWSLogs/1111/CloudTrail/us-east-1/2025/03/01/1111_CloudTrail_us-east-1_20250301T1005Z_abc.json.gz", false, Key{}},
		{"logs/x.json.gz", false, Key{}},
		// found by FuzzParseKey: no region, no date folders, the zero time
		{"AWSLogs/000000000000/CloudTrail/////___00010101T0000Z", false, Key{}},
		{"AWSLogs/111122223333/CloudTrail//2025/03/01/111122223333_CloudTrail__20250301T1005Z_abc.json.gz", false, Key{}},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2025/3/01/111122223333_CloudTrail_us-east-1_20250301T1005Z_abc.json.gz", false, Key{}},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/0001/01/01/111122223333_CloudTrail_us-east-1_00010101T0000Z_abc.json.gz", false, Key{}},
	}
	for _, c := range cases {
		got, ok := ParseKey(c.key)
		if ok != c.ok || got != c.want {
			t.Errorf("%s:\n got %+v %v\nwant %+v %v", c.key, got, ok, c.want, c.ok)
		}
	}
}

// StartAfter sorts before every key delivered at or after t and after
// every key delivered before.
func TestStartAfter(t *testing.T) {
	p := "AWSLogs/111122223333/CloudTrail/us-east-1/"
	at := time.Date(2025, 3, 1, 10, 5, 0, 0, time.UTC)
	sa := StartAfter(p, "111122223333", "us-east-1", at)
	key := func(t time.Time) string {
		return p + t.Format("2006/01/02/") + "111122223333_CloudTrail_us-east-1_" + t.Format("20060102T1504Z") + "_zz.json.gz"
	}
	for _, d := range []time.Duration{0, time.Minute, 24 * time.Hour} {
		if k := key(at.Add(d)); k <= sa {
			t.Errorf("%s sorts before StartAfter %s", k, sa)
		}
	}
	for _, d := range []time.Duration{time.Minute, 24 * time.Hour} {
		if k := key(at.Add(-d)); k > sa {
			t.Errorf("%s sorts after StartAfter %s", k, sa)
		}
	}
	if !strings.HasPrefix(sa, p) {
		t.Error(sa)
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add("AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2025/03/01/111122223333_CloudTrail_us-east-1_20250301T1005Z_abc.json.gz")
	f.Fuzz(func(t *testing.T, key string) {
		k, ok := ParseKey(key)
		if ok && (!strings.HasPrefix(key, k.Prefix) || k.Time.IsZero() || len(k.Account) != 12) {
			t.Fatalf("%q: %+v", key, k)
		}
	})
}
