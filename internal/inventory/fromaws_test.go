package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// fakeAWS answers the calls Collect makes the way the services do on the
// wire: the Resource Groups Tagging API (JSON 1.1, X-Amz-Target), IAM (the
// Query protocol: form posts, XML answers), S3 (REST-XML) and AWS Account
// (REST-JSON). Response shapes follow the services' API references. It
// pages, throttles the first call of each kind when asked, and can deny a
// region.
type fakeAWS struct {
	mu        sync.Mutex
	calls     map[string]int
	throttle  bool
	denied    string // region whose GetResources is denied
	resources map[string][]string
}

var regionRE = regexp.MustCompile(`Credential=[^/]+/\d+/([a-z0-9-]+)/`)

func (f *fakeAWS) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
	return f.calls[name]
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	region := ""
	if m := regionRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	switch {
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "ResourceGroupsTaggingAPI_20170126."):
		f.tagging(w, region, body)
	case r.URL.Path == "/listRegions":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"Regions":[{"RegionName":"eu-west-1","RegionOptStatus":"ENABLED"},{"RegionName":"us-east-1","RegionOptStatus":"ENABLED_BY_DEFAULT"}]}`)
	case r.Method == http.MethodPost && strings.Contains(r.Header.Get("Content-Type"), "x-www-form-urlencoded"):
		form, _ := url.ParseQuery(string(body))
		f.iam(w, form)
	default:
		f.s3(w, r)
	}
}

func (f *fakeAWS) tagging(w http.ResponseWriter, region string, body []byte) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var in struct {
		PaginationToken string
		TagFilters      []struct{ Key string }
	}
	json.Unmarshal(body, &in)
	for _, tf := range in.TagFilters {
		f.count("filter " + tf.Key)
	}
	f.count("GetResources called in " + region)
	if f.throttle && f.count("GetResources "+region) == 1 {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		return
	}
	if region == f.denied {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"__type":"AccessDeniedException","Message":"User is not authorized to perform: tag:GetResources"}`)
		return
	}
	pages := f.resources[region]
	i := 0
	if in.PaginationToken != "" {
		fmt.Sscan(in.PaginationToken, &i)
	}
	next := ""
	if i+1 < len(pages) {
		next = fmt.Sprint(i + 1)
	}
	var list []string
	for _, arn := range strings.Fields(pages[i]) {
		list = append(list, fmt.Sprintf(`{"ResourceARN":%q,"Tags":[{"Key":"service","Value":%q}]}`, arn, region))
	}
	fmt.Fprintf(w, `{"PaginationToken":%q,"ResourceTagMappingList":[%s]}`, next, strings.Join(list, ","))
}

func (f *fakeAWS) iam(w http.ResponseWriter, form url.Values) {
	action := form.Get("Action")
	w.Header().Set("Content-Type", "text/xml")
	if f.throttle && f.count(action) == 1 {
		w.WriteHeader(400)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>`)
		return
	}
	member := func(name, kind string) string {
		return fmt.Sprintf(`<member><Path>/team/</Path><%sName>%s</%sName><%sId>AID%s</%sId><Arn>arn:aws:iam::111122223333:%s/team/%s</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></member>`,
			kind, name, kind, kind, strings.ToUpper(name), kind, strings.ToLower(kind), name)
	}
	tagsOf := map[string][]string{"alice": {"service=a", "env=prod"}, "bob": {}, "Deployer": {"service=b"}}
	switch action {
	case "ListUsers":
		if form.Get("Marker") == "" {
			fmt.Fprintf(w, `<ListUsersResponse><ListUsersResult><Users>%s</Users><IsTruncated>true</IsTruncated><Marker>m2</Marker></ListUsersResult></ListUsersResponse>`, member("alice", "User"))
			return
		}
		fmt.Fprintf(w, `<ListUsersResponse><ListUsersResult><Users>%s</Users><IsTruncated>false</IsTruncated></ListUsersResult></ListUsersResponse>`, member("bob", "User"))
	case "ListRoles":
		fmt.Fprintf(w, `<ListRolesResponse><ListRolesResult><Roles>%s</Roles><IsTruncated>false</IsTruncated></ListRolesResult></ListRolesResponse>`, member("Deployer", "Role"))
	case "ListUserTags", "ListRoleTags":
		name := form.Get("UserName") + form.Get("RoleName")
		tags := tagsOf[name]
		// One tag per page: paging of the tag lists is exercised too.
		i := 0
		if m := form.Get("Marker"); m != "" {
			fmt.Sscan(m, &i)
		}
		var page, more string
		if i < len(tags) {
			k, v, _ := strings.Cut(tags[i], "=")
			page = fmt.Sprintf(`<member><Key>%s</Key><Value>%s</Value></member>`, k, v)
		}
		if i+1 < len(tags) {
			more = fmt.Sprintf(`<IsTruncated>true</IsTruncated><Marker>%d</Marker>`, i+1)
		} else {
			more = `<IsTruncated>false</IsTruncated>`
		}
		fmt.Fprintf(w, `<%sResponse><%sResult><Tags>%s</Tags>%s</%sResult></%sResponse>`, action, action, page, more, action, action)
	default:
		w.WriteHeader(400)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>%s</Message></Error></ErrorResponse>`, action)
	}
}

func (f *fakeAWS) s3(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xml")
	switch {
	case r.URL.Path == "/" || r.URL.Path == "":
		fmt.Fprint(w, `<ListAllMyBucketsResult><Buckets>`+
			`<Bucket><Name>tagged-elsewhere</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket>`+
			`<Bucket><Name>plain</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`+
			`<Bucket><Name>locked</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`+
			`<Bucket><Name>already</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`+
			`</Buckets></ListAllMyBucketsResult>`)
	case r.URL.Path == "/already" && r.URL.Query().Has("tagging"):
		fmt.Fprint(w, `<Tagging><TagSet><Tag><Key>service</Key><Value>us-east-1</Value></Tag></TagSet></Tagging>`)
	case r.URL.Path == "/tagged-elsewhere" && r.URL.Query().Has("tagging"):
		fmt.Fprint(w, `<Tagging><TagSet><Tag><Key>service</Key><Value>s3only</Value></Tag></TagSet></Tagging>`)
	case r.URL.Path == "/plain" && r.URL.Query().Has("tagging"):
		w.WriteHeader(404)
		fmt.Fprint(w, `<Error><Code>NoSuchTagSet</Code><Message>The TagSet does not exist</Message><BucketName>plain</BucketName></Error>`)
	case r.URL.Path == "/locked" && r.URL.Query().Has("tagging"):
		w.WriteHeader(403)
		fmt.Fprint(w, `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
	default:
		w.WriteHeader(400)
		fmt.Fprintf(w, `<Error><Code>Unexpected</Code><Message>%s %s</Message></Error>`, r.Method, r.URL)
	}
}

func testConfig() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
}

func TestCollect(t *testing.T) {
	f := &fakeAWS{calls: map[string]int{}, throttle: true, denied: "ap-south-1", resources: map[string][]string{
		"us-east-1": {"arn:aws:sqs:us-east-1:111122223333:q1 arn:aws:s3:::already", "arn:aws:sqs:us-east-1:111122223333:q2", "arn:aws:lambda:us-east-1:111122223333:function:f"},
		"eu-west-1": {"arn:aws:sqs:eu-west-1:111122223333:q3"},
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	var mu sync.Mutex
	progress := map[string]int{}
	snap, err := FromAWS(context.Background(), testConfig(), AWSOptions{
		Regions: []string{"us-east-1", "eu-west-1", "ap-south-1"}, Endpoint: srv.URL, RequestsPerSecond: 1000,
		MaxBackoff: 10 * time.Millisecond, Now: func() time.Time { return time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC) },
		Progress: func(src string, n int) { mu.Lock(); progress[src] += n; mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"arn:aws:iam::111122223333:role/team/Deployer service=b",
		"arn:aws:iam::111122223333:user/team/alice env=prod service=a",
		"arn:aws:iam::111122223333:user/team/bob",
		"arn:aws:lambda:us-east-1:111122223333:function:f service=us-east-1",
		"arn:aws:s3:::already service=us-east-1",
		"arn:aws:s3:::plain",
		"arn:aws:s3:::tagged-elsewhere service=s3only",
		"arn:aws:sqs:eu-west-1:111122223333:q3 service=eu-west-1",
		"arn:aws:sqs:us-east-1:111122223333:q1 service=us-east-1",
		"arn:aws:sqs:us-east-1:111122223333:q2 service=us-east-1",
	}, "\n")
	if got := showSnapshot(snap); got != want {
		t.Errorf("snapshot\n%s\nwant\n%s", got, want)
	}
	wantProblems := "[s3: GetBucketTagging locked: AccessDenied: Access Denied tagging ap-south-1: GetResources page 1: AccessDeniedException: User is not authorized to perform: tag:GetResources]"
	if fmt.Sprint(snap.Problems) != wantProblems {
		t.Errorf("problems\n%v\nwant\n%s", snap.Problems, wantProblems)
	}
	if snap.Source != "collect" || !snap.TakenAt.Equal(time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("header %+v", snap)
	}
	// Every throttled first call was retried: three pages in us-east-1, two user pages.
	if f.calls["GetResources us-east-1"] != 4 || f.calls["ListUsers"] != 3 {
		t.Errorf("calls %v", f.calls)
	}
	if progress["tagging us-east-1"] != 4 || progress["iam users"] != 2 || progress["iam roles"] != 1 || progress["s3 buckets"] != 2 {
		t.Errorf("progress %v", progress)
	}
}

func TestCollectAllRegionsAndTagKeyFilter(t *testing.T) {
	f := &fakeAWS{calls: map[string]int{}, resources: map[string][]string{
		"us-east-1": {"arn:aws:sqs:us-east-1:111122223333:q1"},
		"eu-west-1": {"arn:aws:sqs:eu-west-1:111122223333:q3"},
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	snap, err := FromAWS(context.Background(), testConfig(), AWSOptions{Regions: []string{"all"}, TagKeys: []string{"env"}, Endpoint: srv.URL, RequestsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// Both enabled regions were asked, with the key as the API's tag
	// filter; the fake does not filter (AWS would), so trailwatch's own
	// filter, which IAM and S3 entries need, keeps only alice.
	if got := showSnapshot(snap); got != "arn:aws:iam::111122223333:user/team/alice env=prod service=a" {
		t.Errorf("snapshot\n%s", got)
	}
	if f.calls["GetResources called in us-east-1"] != 1 || f.calls["GetResources called in eu-west-1"] != 1 || f.calls["filter env"] != 2 {
		t.Errorf("calls %v", f.calls)
	}
	if fmt.Sprint(snap.Problems) != "[s3: GetBucketTagging locked: AccessDenied: Access Denied]" {
		t.Errorf("problems %v", snap.Problems)
	}
}

func TestCollectCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.WriteHeader(500)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := FromAWS(ctx, testConfig(), AWSOptions{Endpoint: srv.URL}); err == nil || !strings.Contains(err.Error(), "collect: context deadline exceeded") {
		t.Errorf("err = %v", err)
	}
}
