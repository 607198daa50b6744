package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// event builds a CloudTrail record for account 111122223333 in us-east-1.
func event(source, name, params string, extra ...string) string {
	x := ""
	for _, e := range extra {
		x += "," + e
	}
	return `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/admin","accountId":"111122223333"},` +
		`"eventTime":"2025-03-01T10:00:00Z","eventSource":"` + source + `","eventName":"` + name + `","awsRegion":"us-east-1",` +
		`"requestParameters":` + params + `,"eventID":"ev-` + name + `","recipientAccountId":"111122223333"` + x + `}`
}

func showChanges(cs []Change) string {
	var out []string
	for _, c := range cs {
		var parts []string
		keys := make([]string, 0, len(c.Set))
		for k := range c.Set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, "+"+k+"="+c.Set[k])
		}
		for _, k := range c.Remove {
			parts = append(parts, "-"+k)
		}
		if c.Replace {
			parts = append(parts, "replace")
		}
		out = append(out, c.ARN+" "+strings.Join(parts, " "))
	}
	return strings.Join(out, "\n")
}

// Request shapes are those CloudTrail logs for each service (the services'
// CloudTrail pages and API references: TagUser, PutBucketTagging, CreateTags,
// TagResource, TagQueue, AddTagsToResource, TagResources, ...).
func TestParseTagChange(t *testing.T) {
	tests := []struct {
		name, rec, want string
	}{
		{"iam TagUser", event("iam.amazonaws.com", "TagUser", `{"userName":"alice","tags":[{"key":"team","value":"payments"}]}`),
			"arn:aws:iam::111122223333:user/alice +team=payments"},
		{"iam UntagRole", event("iam.amazonaws.com", "UntagRole", `{"roleName":"Ops","tagKeys":["team","env"]}`),
			"arn:aws:iam::111122223333:role/Ops -team -env"},
		{"iam CreateRole with tags", event("iam.amazonaws.com", "CreateRole", `{"roleName":"Batch","path":"/svc/","assumeRolePolicyDocument":"{}","tags":[{"key":"team","value":"search"}]}`),
			"arn:aws:iam::111122223333:role/svc/Batch +team=search replace"},
		{"iam CreateUser without tags", event("iam.amazonaws.com", "CreateUser", `{"userName":"bob"}`), ""},
		{"s3 PutBucketTagging", event("s3.amazonaws.com", "PutBucketTagging", `{"bucketName":"data","Host":"data.s3.amazonaws.com","tagging":"","Tagging":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","TagSet":{"Tag":[{"Key":"team","Value":"payments"},{"Key":"env","Value":"prod"}]}}}`),
			"arn:aws:s3:::data +env=prod +team=payments replace"},
		{"s3 PutBucketTagging one tag (XML collapses the list)", event("s3.amazonaws.com", "PutBucketTagging", `{"bucketName":"data","Tagging":{"TagSet":{"Tag":{"Key":"team","Value":"search"}}}}`),
			"arn:aws:s3:::data +team=search replace"},
		{"s3 DeleteBucketTagging", event("s3.amazonaws.com", "DeleteBucketTagging", `{"bucketName":"data","tagging":""}`),
			"arn:aws:s3:::data replace"},
		{"s3 PutObjectTagging", event("s3.amazonaws.com", "PutObjectTagging", `{"bucketName":"data","key":"a/b.txt","Tagging":{"TagSet":{"Tag":{"Key":"team","Value":"x"}}}}`),
			"arn:aws:s3:::data/a/b.txt +team=x replace"},
		{"s3 GetObject is not tagging", event("s3.amazonaws.com", "GetObject", `{"bucketName":"data","key":"k"}`), ""},
		{"ec2 CreateTags", event("ec2.amazonaws.com", "CreateTags", `{"resourcesSet":{"items":[{"resourceId":"i-0abc"},{"resourceId":"vol-01"},{"resourceId":"snap-9"}]},"tagSet":{"items":[{"key":"team","value":"payments"}]}}`),
			"arn:aws:ec2:us-east-1:111122223333:instance/i-0abc +team=payments\narn:aws:ec2:us-east-1:111122223333:volume/vol-01 +team=payments\narn:aws:ec2:us-east-1::snapshot/snap-9 +team=payments"},
		{"ec2 DeleteTags", event("ec2.amazonaws.com", "DeleteTags", `{"resourcesSet":{"items":[{"resourceId":"sg-1"}]},"tagSet":{"items":[{"key":"team"}]}}`),
			"arn:aws:ec2:us-east-1:111122223333:security-group/sg-1 -team"},
		{"lambda TagResource", event("lambda.amazonaws.com", "TagResource20170331v2", `{"resource":"arn:aws:lambda:us-east-1:111122223333:function:f","tags":{"team":"search"}}`),
			"arn:aws:lambda:us-east-1:111122223333:function:f +team=search"},
		{"lambda UntagResource", event("lambda.amazonaws.com", "UntagResource20170331v2", `{"resource":"arn:aws:lambda:us-east-1:111122223333:function:f","tagKeys":["team"]}`),
			"arn:aws:lambda:us-east-1:111122223333:function:f -team"},
		{"sqs TagQueue", event("sqs.amazonaws.com", "TagQueue", `{"queueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/jobs","tags":{"team":"payments"}}`),
			"arn:aws:sqs:us-east-1:111122223333:jobs +team=payments"},
		{"kms TagResource", event("kms.amazonaws.com", "TagResource", `{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","tags":[{"tagKey":"team","tagValue":"payments"}]}`),
			"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab +team=payments"},
		{"dynamodb TagResource", event("dynamodb.amazonaws.com", "TagResource", `{"resourceArn":"arn:aws:dynamodb:us-east-1:111122223333:table/orders","tags":[{"key":"team","value":"payments"}]}`),
			"arn:aws:dynamodb:us-east-1:111122223333:table/orders +team=payments"},
		{"rds AddTagsToResource", event("rds.amazonaws.com", "AddTagsToResource", `{"resourceName":"arn:aws:rds:us-east-1:111122223333:db:orders","tags":[{"key":"team","value":"payments"}]}`),
			"arn:aws:rds:us-east-1:111122223333:db:orders +team=payments"},
		{"ssm AddTagsToResource", event("ssm.amazonaws.com", "AddTagsToResource", `{"resourceType":"Parameter","resourceId":"/app/db","tags":[{"key":"team","value":"search"}]}`),
			"arn:aws:ssm:us-east-1:111122223333:parameter/app/db +team=search"},
		{"tagging TagResources", event("tagging.amazonaws.com", "TagResources", `{"resourceARNList":["arn:aws:sns:us-east-1:111122223333:t1","arn:aws:s3:::b2"],"tags":{"team":"ops"}}`),
			"arn:aws:sns:us-east-1:111122223333:t1 +team=ops\narn:aws:s3:::b2 +team=ops"},
		{"logs UntagLogGroup (keys under tags)", event("logs.amazonaws.com", "UntagLogGroup", `{"logGroupName":"/app","tags":["team"]}`),
			"arn:aws:logs:us-east-1:111122223333:log-group:/app -team"},
		{"failed call changes nothing", event("iam.amazonaws.com", "TagUser", `{"userName":"alice","tags":[{"key":"team","value":"x"}]}`, `"errorCode":"AccessDenied"`), ""},
		{"no request parameters", event("iam.amazonaws.com", "TagUser", `null`), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := fastjson.Parse(tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			cs := ParseTagChange(v)
			if got := showChanges(cs); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			for _, c := range cs {
				if c.EventID == "" || c.Time.IsZero() {
					t.Errorf("change without event id or time: %+v", c)
				}
			}
		})
	}
}

func TestTimeline(t *testing.T) {
	user := "arn:aws:iam::111122223333:user/alice"
	bucket := "arn:aws:s3:::data"
	snap := &Snapshot{TakenAt: ts("2025-03-10T00:00:00Z"), Resources: []Resource{
		{ARN: "arn:aws:iam::111122223333:user/engineering/alice", Tags: map[string]string{"team": "search"}}, // path in the inventory
		{ARN: bucket, Tags: map[string]string{"team": "payments"}},
		{ARN: "arn:aws:iam::*:user/bob", Tags: map[string]string{"team": "ops"}},
		{ARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-prod01-AbC123", Tags: map[string]string{"team": "payments"}},
		{ARN: "arn:aws:s3:::untagged", Tags: map[string]string{}},
	}}
	changes := []Change{
		// The bucket moved from search to payments on 03-05 (before the snapshot).
		{ARN: bucket, Time: ts("2025-03-05T00:00:00Z"), Set: map[string]string{"team": "payments"}, Replace: true},
		// After the snapshot, alice left the key.
		{ARN: user, Time: ts("2025-03-20T00:00:00Z"), Remove: []string{"team"}},
	}
	tl := NewTimeline([]*Snapshot{snap}, changes)
	tests := []struct {
		arn, at string
		want    Value
	}{
		{bucket, "2025-03-04T00:00:00Z", Value{}},                                                    // changed between then and the snapshot: unknown
		{bucket, "2025-03-05T00:00:00Z", Value{}},                                                    // the tagging call itself is judged by what was before it
		{bucket, "2025-03-06T00:00:00Z", Value{Value: "payments", Present: true, Basis: BasisEvent}}, // after the call
		{bucket, "2025-03-11T00:00:00Z", Value{Value: "payments", Present: true, Basis: BasisSnapshot}},
		{user, "2025-03-01T00:00:00Z", Value{Value: "search", Present: true, Basis: BasisAssumed}}, // before the snapshot, nothing says otherwise
		{user, "2025-03-10T00:00:00Z", Value{Value: "search", Present: true, Basis: BasisSnapshot}},
		{user, "2025-03-21T00:00:00Z", Value{Basis: BasisEvent}}, // removed
		{"arn:aws:iam::111122223333:role/alice", "2025-03-11T00:00:00Z", Value{}},
		{"arn:aws:iam::999999999999:user/bob", "2025-03-11T00:00:00Z", Value{Value: "ops", Present: true, Basis: BasisSnapshot}}, // imported without account
		{"arn:aws:secretsmanager:us-east-1:111122223333:secret:db-prod01", "2025-03-11T00:00:00Z", Value{Value: "payments", Present: true, Basis: BasisSnapshot}},
		{"arn:aws:s3:::untagged", "2025-03-11T00:00:00Z", Value{Basis: BasisSnapshot}},
		{"arn:aws:s3:::unknown", "2025-03-11T00:00:00Z", Value{}},
	}
	for _, tc := range tests {
		if got := tl.TagAt(tc.arn, "team", ts(tc.at)); got != tc.want {
			t.Errorf("TagAt(%s, team, %s) = %+v, want %+v", tc.arn, tc.at, got, tc.want)
		}
		// TagsAt walks once but must decide each key as TagAt does.
		if v, ok := tl.TagsAt(tc.arn, ts(tc.at))["team"]; ok != tc.want.Present || v != tc.want.Value {
			t.Errorf("TagsAt(%s, %s)[team] = %q %v, want %+v", tc.arn, tc.at, v, ok, tc.want)
		}
	}
}

// TestTimelineChangeBetweenEvents: a tag changes between two events on the
// same resource; each event sees the value in force at its time.
func TestTimelineChangeBetweenEvents(t *testing.T) {
	q := "arn:aws:sqs:us-east-1:111122223333:jobs"
	s1 := &Snapshot{TakenAt: ts("2025-03-01T00:00:00Z"), Resources: []Resource{{ARN: q, Tags: map[string]string{"team": "search"}}}}
	s2 := &Snapshot{TakenAt: ts("2025-03-31T00:00:00Z"), Resources: []Resource{{ARN: q, Tags: map[string]string{"team": "payments"}}}}
	ch := []Change{{ARN: q, Time: ts("2025-03-15T12:00:00Z"), Set: map[string]string{"team": "payments"}}}
	tl := NewTimeline([]*Snapshot{s2, s1}, ch)
	if got := tl.TagAt(q, "team", ts("2025-03-15T11:00:00Z")); got.Value != "search" || got.Basis != BasisSnapshot {
		t.Errorf("before the change: %+v", got)
	}
	if got := tl.TagAt(q, "team", ts("2025-03-15T13:00:00Z")); got.Value != "payments" || got.Basis != BasisEvent {
		t.Errorf("after the change: %+v", got)
	}
	if got := tl.TagAt(q, "env", ts("2025-03-15T13:00:00Z")); got.Present || got.Basis != BasisSnapshot {
		t.Errorf("a key the snapshot says is absent: %+v", got)
	}
}

func TestImport(t *testing.T) {
	asOf := ts("2024-01-08T00:00:00Z")
	tests := []struct {
		name, file, text string
		opt              ImportOptions
		want             string
	}{
		{name: "seed 000 users", file: "testdata/seed000-users.json",
			want: "arn:aws:iam::*:user/hoge0108 hoge0108=aaa\narn:aws:iam::*:user/hogeadmin\narn:aws:iam::*:user/iwasa"},
		{name: "seed 000 users with account", file: "testdata/seed000-users.json", opt: ImportOptions{Account: "123456789012"},
			want: "arn:aws:iam::123456789012:user/hoge0108 hoge0108=aaa\narn:aws:iam::123456789012:user/hogeadmin\narn:aws:iam::123456789012:user/iwasa"},
		{name: "seed 000 resources", file: "testdata/seed000-resources.json",
			want: "arn:aws:s3:::hoge0108 hoge0108=aaa\narn:aws:s3:::hoge0108b hoge0108=bbb\n" +
				"arn:aws:sagemaker:ap-northeast-1:123456789012:experiment-trial-component/canvas1697422261165-cnnqr-train-backtest-1-1-dd98a9130f394ef289-aws-training-job Source=SageMakerCanvas sagemaker:user-profile-arn=arn:aws:sagemaker:ap-northeast-1:123456789012:user-profile/d-ddafwgprdn23/default-20231016t093667"},
		{name: "GetResources output", text: `{"PaginationToken":"","ResourceTagMappingList":[{"ResourceARN":"arn:aws:sqs:us-east-1:111122223333:jobs","Tags":[{"Key":"team","Value":"payments"}]}]}`,
			want: "arn:aws:sqs:us-east-1:111122223333:jobs team=payments"},
		{name: "get-account-authorization-details", text: `{"UserDetailList":[{"UserName":"alice","Arn":"arn:aws:iam::111122223333:user/eng/alice","Tags":[{"Key":"team","Value":"search"}]}],
			"RoleDetailList":[{"RoleName":"Ops","Arn":"arn:aws:iam::111122223333:role/Ops","Tags":[]},{"RoleName":"NoTagsField","Arn":"arn:aws:iam::111122223333:role/NoTagsField"}],"Policies":[]}`,
			want: "arn:aws:iam::111122223333:role/Ops\narn:aws:iam::111122223333:user/eng/alice team=search"},
		{name: "CSV", text: "arn,key,value\narn:aws:s3:::a,team,payments\narn:aws:s3:::a,env,prod\narn:aws:s3:::b,,\n",
			want: "arn:aws:s3:::a env=prod team=payments\narn:aws:s3:::b"},
		{name: "CSV with BOM and other header names", text: "\ufeffResourceARN,tag_key,tag_value\n\"arn:aws:s3:::a\",team,\"x,y\"\n",
			want: "arn:aws:s3:::a team=x,y"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.text
			if tc.file != "" {
				b, err := os.ReadFile(tc.file)
				if err != nil {
					t.Fatal(err)
				}
				text = string(b)
			}
			opt := tc.opt
			opt.AsOf = asOf
			s, err := Import(strings.NewReader(text), "f", opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := showSnapshot(s); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			if !s.TakenAt.Equal(asOf) || s.Source != "import f" {
				t.Errorf("snapshot header %+v", s)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	asOf := ts("2024-01-08T00:00:00Z")
	tests := []struct{ name, text, want string }{
		{"empty", "  \n", "import f: the file is empty"},
		{"invalid JSON", `{"ResourceTagMappingList":[{"ResourceARN":"a",}]}`, "import f: invalid JSON at offset 46"},
		{"two values", `{} {}`, "more than one JSON value"},
		{"nothing known", `{"Users":[{"UserName":"a","Arn":"arn:aws:iam::1:user/a"}]}`, "no resources or principals with tags found"},
		{"CSV header", "name,tags\nx,y\n", "import f: CSV line 1: expected a header with the columns arn, key and value"},
		{"CSV not an ARN", "arn,key,value\nbucket,team,x\n", `import f: CSV line 2: expected an ARN in column 1, got "bucket"`},
	}
	for _, tc := range tests {
		_, err := Import(strings.NewReader(tc.text), "f", ImportOptions{AsOf: asOf})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := Import(strings.NewReader("{}"), "f", ImportOptions{}); err == nil || !strings.Contains(err.Error(), "time the data was taken") {
		t.Errorf("no AsOf: %v", err)
	}
}

func showSnapshot(s *Snapshot) string {
	rs := append([]Resource(nil), s.Resources...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].ARN < rs[j].ARN })
	var out []string
	for _, r := range rs {
		line := r.ARN
		keys := make([]string, 0, len(r.Tags))
		for k := range r.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			line += " " + k + "=" + r.Tags[k]
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestSaveLoad(t *testing.T) {
	store := t.TempDir()
	if got, err := Load(store); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v %v", got, err)
	}
	a := &Snapshot{TakenAt: ts("2025-03-10T00:00:00Z"), Source: "import a.json", Resources: []Resource{
		{ARN: "arn:aws:s3:::b", Tags: map[string]string{"team": "x", "env": "prod"}}, {ARN: "arn:aws:s3:::a", Tags: map[string]string{}}}}
	b := &Snapshot{TakenAt: ts("2025-03-01T00:00:00Z"), Source: "collect", Problems: []string{"tagging eu-west-1: AccessDenied"},
		Resources: []Resource{{ARN: "arn:aws:s3:::a", Tags: map[string]string{"team": "y"}}}}
	for _, s := range []*Snapshot{a, b} {
		if err := Save(store, s); err != nil {
			t.Fatal(err)
		}
	}
	// A body without its header (a crash between the two renames) is not a snapshot.
	if err := os.WriteFile(filepath.Join(Dir(store), "20250401T000000Z-deadbeef.jsonl"), []byte(`{"arn":"arn:aws:s3:::z","tags":[]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Source != "collect" || got[1].Source != "import a.json" {
		t.Fatalf("loaded %d snapshots, oldest first expected: %+v", len(got), got)
	}
	if fmt.Sprint(got[0].Problems) != "[tagging eu-west-1: AccessDenied]" || got[1].Count != 2 {
		t.Errorf("headers: %+v / %+v", got[0], got[1])
	}
	if s := showSnapshot(got[1]); s != "arn:aws:s3:::a\narn:aws:s3:::b env=prod team=x" {
		t.Errorf("resources: %s", s)
	}
	// Saving the same content at the same time again keeps one copy.
	c := &Snapshot{TakenAt: a.TakenAt, Source: a.Source, Resources: a.Resources}
	if err := Save(store, c); err != nil || c.ID != a.ID {
		t.Errorf("same content: id %s vs %s (%v)", c.ID, a.ID, err)
	}
	// A header whose body is gone is an error naming the file.
	os.Remove(filepath.Join(Dir(store), b.ID+".jsonl"))
	if _, err := Load(store); err == nil || !strings.Contains(err.Error(), "are missing") {
		t.Errorf("missing body: %v", err)
	}
}

func FuzzImport(f *testing.F) {
	for _, p := range []string{"testdata/seed000-users.json", "testdata/seed000-resources.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("arn,key,value\narn:aws:s3:::a,team,x\n"))
	f.Add([]byte(`{"UserDetailList":[{"UserName":"a","Tags":[{"Key":1,"Value":{"x":[]}}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Import(strings.NewReader(string(b)), "fuzz", ImportOptions{AsOf: time.Unix(0, 0)})
		if err == nil && len(s.Resources) == 0 {
			t.Fatal("no error and no resources")
		}
	})
}

func FuzzParseTagChange(f *testing.F) {
	f.Add(event("iam.amazonaws.com", "TagUser", `{"userName":"alice","tags":[{"key":"team","value":"payments"}]}`))
	f.Add(event("s3.amazonaws.com", "PutBucketTagging", `{"bucketName":"data","Tagging":{"TagSet":{"Tag":{"Key":"team","Value":"search"}}}}`))
	f.Add(event("ec2.amazonaws.com", "CreateTags", `{"resourcesSet":{"items":[{"resourceId":"i-0abc"}]},"tagSet":{"items":{"key":"team","value":1}}}`))
	f.Add(event("tagging.amazonaws.com", "UntagResources", `{"resourceARNList":"arn:aws:s3:::b","tagKeys":[1,{"key":"x"}]}`))
	f.Fuzz(func(t *testing.T, s string) {
		v, err := fastjson.Parse(s)
		if err != nil {
			return
		}
		for _, c := range ParseTagChange(v) {
			if c.ARN == "" {
				t.Fatalf("change without an ARN: %+v", c)
			}
		}
	})
}

func TestTimelineAddAndTagsAt(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/app"
	tl := NewTimeline([]*Snapshot{{TakenAt: ts("2025-03-01T00:00:00Z"), Resources: []Resource{{ARN: role, Tags: map[string]string{"team": "a", "env": "dev"}}}}}, nil)
	tl.Add(Change{ARN: role, Time: ts("2025-03-03T00:00:00Z"), Remove: []string{"env"}})
	tl.Add(Change{ARN: role, Time: ts("2025-03-02T00:00:00Z"), Set: map[string]string{"team": "b"}}) // out of order
	tests := []struct{ at, want string }{
		{"2025-03-01T12:00:00Z", "map[env:dev team:a]"},
		{"2025-03-02T12:00:00Z", "map[env:dev team:b]"},
		{"2025-03-04T00:00:00Z", "map[team:b]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(tl.TagsAt(role, ts(tc.at))); got != tc.want {
			t.Errorf("TagsAt(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
	if tl.TagsAt("arn:aws:s3:::nothing", ts("2025-03-04T00:00:00Z")) != nil {
		t.Error("unknown ARN has tags")
	}
}
