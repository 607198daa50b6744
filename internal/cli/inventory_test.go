package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInventoryCollect runs 'inventory collect' against a local server
// speaking the Tagging API (JSON 1.1), IAM (Query) and S3 (REST-XML), with
// credentials from the environment as the default chain reads them; one
// region is denied: the rest is saved and the exit status is 2.
func TestInventoryCollect(t *testing.T) {
	region := regexp.MustCompile(`Credential=[^/]+/\d+/([a-z0-9-]+)/`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		reg := ""
		if m := region.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			reg = m[1]
		}
		switch {
		case r.Header.Get("X-Amz-Target") != "":
			if reg == "eu-west-1" {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"__type":"AccessDeniedException","Message":"not authorized"}`)
				return
			}
			fmt.Fprintf(w, `{"PaginationToken":"","ResourceTagMappingList":[{"ResourceARN":"arn:aws:sqs:%s:111122223333:jobs","Tags":[{"Key":"service","Value":"aaa"}]}]}`, reg)
		case strings.Contains(r.Header.Get("Content-Type"), "x-www-form-urlencoded"):
			form, _ := url.ParseQuery(string(body))
			switch form.Get("Action") {
			case "ListUsers":
				fmt.Fprint(w, `<ListUsersResponse><ListUsersResult><Users><member><Path>/</Path><UserName>alice</UserName><UserId>AIDAALICE</UserId><Arn>arn:aws:iam::111122223333:user/alice</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></member></Users><IsTruncated>false</IsTruncated></ListUsersResult></ListUsersResponse>`)
			case "ListUserTags":
				fmt.Fprint(w, `<ListUserTagsResponse><ListUserTagsResult><Tags><member><Key>service</Key><Value>bbb</Value></member></Tags><IsTruncated>false</IsTruncated></ListUserTagsResult></ListUserTagsResponse>`)
			case "ListRoles":
				fmt.Fprint(w, `<ListRolesResponse><ListRolesResult><Roles></Roles><IsTruncated>false</IsTruncated></ListRolesResult></ListRolesResponse>`)
			}
		default:
			fmt.Fprint(w, `<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>`)
		}
	}))
	defer srv.Close()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	store := t.TempDir()
	stdout, stderr, code := run(t, "", "inventory", "collect", "--store", store, "--endpoint-url", srv.URL, "--rps", "1000",
		"--region", "us-east-1", "--region", "eu-west-1")
	if code != 2 {
		t.Errorf("exit %d, want 2 (one region denied)", code)
	}
	if !regexp.MustCompile(`^snapshot \S+ as of \S+: 2 resources and principals \(tagging 1, iam users 1, iam roles 0, s3 buckets 0\), 1 problems\n$`).MatchString(stdout) {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.Contains(stderr, "trailwatch: inventory collect: tagging eu-west-1: GetResources page 1: AccessDeniedException: not authorized") ||
		!strings.Contains(stderr, "1 part(s) could not be read; what was read is saved") {
		t.Errorf("stderr %q", stderr)
	}
	list, _, _ := run(t, "", "inventory", "list", "--store", store, "--format", "json")
	if !strings.Contains(list, `"source":"collect"`) || !strings.Contains(list, `"resources":2`) || !strings.Contains(list, "AccessDeniedException") {
		t.Errorf("list %s", list)
	}
	if _, stderr, code := run(t, "", "inventory", "collect", "--region", "us-east-1"); code != 2 || !strings.Contains(stderr, "--store DIR is required") {
		t.Errorf("no store: exit %d %s", code, stderr)
	}
}
