package cloudtrail

import (
	"strings"
	"time"
)

// The S3 delivery layout of CloudTrail log files
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html):
//
//	[prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
//
// Digest files live under CloudTrail-Digest/ instead of CloudTrail/.

// Key is what a delivery-layout object key says.
type Key struct {
	// Prefix is the key up to and including "REGION/": the unit watch
	// keeps one checkpoint for.
	Prefix  string
	Org     string // "o-…" for organization trails
	Account string
	Region  string
	// Time is the delivery time in the file name (minute precision).
	Time   time.Time
	Digest bool
}

// ParseKey reads a delivery-layout object key; ok is false for keys that
// are not in the layout.
func ParseKey(key string) (k Key, ok bool) {
	i := strings.Index(key, "AWSLogs/")
	if i < 0 {
		return k, false
	}
	parts := strings.Split(key[i+len("AWSLogs/"):], "/")
	if len(parts) > 0 && strings.HasPrefix(parts[0], "o-") {
		k.Org, parts = parts[0], parts[1:]
	}
	// ACCOUNT / CloudTrail / REGION / YYYY / MM / DD / NAME
	if len(parts) != 7 || !isAccount(parts[0]) || parts[2] == "" ||
		!isDigits(parts[3], 4) || !isDigits(parts[4], 2) || !isDigits(parts[5], 2) {
		return Key{}, false
	}
	k.Account, k.Region = parts[0], parts[2]
	switch parts[1] {
	case "CloudTrail":
	case "CloudTrail-Digest":
		k.Digest = true
	default:
		return Key{}, false
	}
	name := parts[6]
	k.Prefix = key[:len(key)-len(strings.Join(parts[3:], "/"))]
	// ACCOUNT_CloudTrail[-Digest]_REGION_YYYYMMDDTHHmmZ_UNIQUE...
	f := strings.Split(name, "_")
	if len(f) < 4 {
		return Key{}, false
	}
	for _, x := range f[3:] {
		x, _, _ = strings.Cut(x, ".")
		t, err := time.Parse("20060102T1504Z", x)
		if err != nil {
			t, err = time.Parse("20060102T150405Z", x) // digest files
		}
		// 0001-01-01T00:00Z parses, but is no delivery time (and is the
		// zero time.Time, which callers take for "none").
		if err == nil && !t.IsZero() {
			k.Time = t
			return k, true
		}
	}
	return Key{}, false
}

// StartAfter returns the key in prefix (a Key.Prefix) that every log file
// delivered at or after t sorts after, for S3's ListObjectsV2 StartAfter:
// keys sort by day folder, then by the delivery time in the name.
func StartAfter(prefix, account, region string, t time.Time) string {
	t = t.UTC()
	return prefix + t.Format("2006/01/02/") + account + "_CloudTrail_" + region + "_" + t.Format("20060102T1504Z")
}

func isAccount(s string) bool { return isDigits(s, 12) }

// isDigits reports whether s is n ASCII digits.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
