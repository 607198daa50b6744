package digest

import (
	"fmt"
	"regexp"
	"time"
)

// KeyInfo is what a digest file's S3 key says about it. Layout, from
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html:
//
//	[prefix/]AWSLogs/[o-ORG/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/
//	  ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHmmssZ[_backfill].json.gz
//
// REGION is the region the digest was delivered from; HOMEREGION is where
// the trail was created (they differ for multi-region trails).
type KeyInfo struct {
	Prefix     string // optional S3 key prefix, without the trailing slash
	OrgID      string // organization ID for organization trails, else ""
	Account    string
	Region     string
	Trail      string
	HomeRegion string
	End        time.Time // digest end time from the file name
	Backfill   bool      // a _backfill digest
}

var digestKeyRE = regexp.MustCompile(`^(?:(.*)/)?AWSLogs/(?:([oO]-[a-zA-Z0-9]+)/)?(\d{12})/CloudTrail-Digest/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z0-9-]+)_(\d{8}T\d{6}Z)(_backfill)?\.json\.gz$`)

// ParseKey parses a digest file S3 key.
func ParseKey(key string) (KeyInfo, error) {
	m := digestKeyRE.FindStringSubmatch(key)
	if m == nil {
		return KeyInfo{}, fmt.Errorf("not a CloudTrail digest key: %q", key)
	}
	if m[3] != m[8] || m[4] != m[9] {
		return KeyInfo{}, fmt.Errorf("digest key %q: account/region in directory and file name differ", key)
	}
	end, err := time.Parse("20060102T150405Z", m[12])
	if err != nil {
		return KeyInfo{}, fmt.Errorf("digest key %q: %w", key, err)
	}
	if end.Format("2006/01/02") != m[5]+"/"+m[6]+"/"+m[7] {
		return KeyInfo{}, fmt.Errorf("digest key %q: date directory does not match end time", key)
	}
	return KeyInfo{
		Prefix:     m[1],
		OrgID:      m[2],
		Account:    m[3],
		Region:     m[4],
		Trail:      m[10],
		HomeRegion: m[11],
		End:        end,
		Backfill:   m[13] != "",
	}, nil
}

// stream identifies one digest chain: one trail, account and region under
// one bucket and prefix.
func (k KeyInfo) stream(bucket string) string {
	return bucket + "\x00" + k.Prefix + "\x00" + k.OrgID + "\x00" + k.Account + "\x00" + k.Region + "\x00" + k.Trail + "\x00" + k.HomeRegion
}
