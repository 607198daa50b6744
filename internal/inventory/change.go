package inventory

import (
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/trailwatch/trailwatch/internal/resource"
)

// Change is what one successful tagging call recorded in CloudTrail did to
// one ARN's tags.
type Change struct {
	ARN     string
	Time    time.Time
	EventID string
	Event   string // eventName
	// Set are the tags the call added or overwrote.
	Set map[string]string
	// Remove are keys the call removed.
	Remove []string
	// Replace says the call defined the whole tag set: every key not in
	// Set is absent afterwards (S3 PutBucketTagging, a Create call with
	// tags, DeleteBucketTagging with an empty Set).
	Replace bool
}

// Determines says whether the change settles key's value, and to what.
func (c *Change) Determines(key string) (value string, present, ok bool) {
	if v, has := c.Set[key]; has {
		return v, true, true
	}
	for _, k := range c.Remove {
		if k == key {
			return "", false, true
		}
	}
	if c.Replace {
		return "", false, true
	}
	return "", false, false
}

// ParseTagChange reads the tag changes of one CloudTrail record: the
// tagging APIs of IAM (TagUser, UntagUser, TagRole, UntagRole, and
// CreateUser/CreateRole with tags), S3 (PutBucketTagging,
// DeleteBucketTagging, PutObjectTagging, DeleteObjectTagging), EC2
// (CreateTags, DeleteTags), RDS and SSM (AddTagsToResource,
// RemoveTagsFromResource), SQS (TagQueue, UntagQueue), CloudWatch Logs
// (TagLogGroup, UntagLogGroup), the Resource Groups Tagging API
// (TagResources, UntagResources) and every service's TagResource /
// UntagResource. Failed calls (errorCode set) change nothing. ARNs are
// built as internal/resource builds them for the events that use the
// resources, so the two meet.
func ParseTagChange(ev *fastjson.Value) []Change {
	if ev == nil || ev.Type() != fastjson.TypeObject {
		return nil
	}
	if len(ev.GetStringBytes("errorCode")) > 0 {
		return nil
	}
	name := string(ev.GetStringBytes("eventName"))
	rp := ev.Get("requestParameters")
	if rp == nil || rp.Type() != fastjson.TypeObject {
		return nil
	}
	base := Change{Event: name}
	source := string(ev.GetStringBytes("eventSource"))

	var targets []string
	switch {
	case source == "s3.amazonaws.com":
		targets = s3Targets(ev, name)
		switch name {
		case "PutBucketTagging", "PutObjectTagging":
			base.Set = tagsFrom(rp.Get("Tagging", "TagSet", "Tag"))
			base.Replace = true
		case "DeleteBucketTagging", "DeleteObjectTagging":
			base.Replace = true
		default:
			return nil
		}
	case source == "ec2.amazonaws.com":
		switch name {
		case "CreateTags":
			base.Set = tagsFrom(rp.Get("tagSet", "items"))
		case "DeleteTags":
			// DeleteTags removes a key, or only a key=value pair when a
			// value is given; the pair form is read as removing the key.
			for _, it := range arrayOrOne(rp.Get("tagSet", "items")) {
				if k := it.GetStringBytes("key"); len(k) > 0 {
					base.Remove = append(base.Remove, string(k))
				}
			}
			if len(base.Remove) == 0 {
				return nil // without keys DeleteTags removes all tags of the resources; unknown which
			}
		default:
			return nil
		}
		targets = ec2Targets(ev, rp)
	default:
		switch {
		case isCreate(name):
			tags := tagsFrom(firstOf(rp, "tags", "Tags", "tagList", "TagList"))
			if len(tags) == 0 {
				return nil
			}
			base.Set, base.Replace = tags, true
			refs := resource.Touched(ev)
			if len(refs) == 0 {
				return nil
			}
			targets = []string{refs[0].ARN} // the created resource is the one named first
		case isTag(name):
			base.Set = tagsFrom(firstOf(rp, "tags", "Tags", "tagList", "TagList", "tagsToAdd"))
			if len(base.Set) == 0 {
				return nil
			}
			targets = genericTargets(ev, rp)
		case isUntag(name):
			base.Remove = keysFrom(firstOf(rp, "tagKeys", "TagKeys", "keys", "tagKeyList", "tags", "Tags", "tagsToRemove"))
			if len(base.Remove) == 0 {
				return nil
			}
			targets = genericTargets(ev, rp)
		default:
			return nil
		}
	}
	if len(targets) == 0 {
		return nil
	}
	// Parsed last: most records are not tagging calls and never get here.
	t, err := time.Parse(time.RFC3339Nano, string(ev.GetStringBytes("eventTime")))
	if err != nil {
		return nil
	}
	base.Time, base.EventID = t, string(ev.GetStringBytes("eventID"))
	out := make([]Change, 0, len(targets))
	seen := map[string]bool{}
	for _, a := range targets {
		if a == "" || seen[a] {
			continue
		}
		seen[a] = true
		c := base
		c.ARN = a
		out = append(out, c)
	}
	return out
}

func isCreate(name string) bool {
	switch name {
	case "CreateUser", "CreateRole", "CreateQueue", "CreateTopic", "CreateSecret", "CreateFunction20150331",
		"CreateFunction", "CreateTable", "CreateKey", "CreateRepository", "CreateLogGroup":
		return true
	}
	return false
}

func isTag(name string) bool {
	switch name {
	case "TagResource", "TagResources", "TagUser", "TagRole", "TagQueue", "TagLogGroup", "AddTagsToResource",
		"TagPolicy", "TagInstanceProfile", "TagOpenIDConnectProvider", "TagSAMLProvider", "TagServerCertificate",
		"TagMFADevice", "AddTags", "AddTagsToStream", "TagDeliveryStream":
		return true
	}
	return strings.HasPrefix(name, "TagResource") // Lambda's versioned names (TagResource20170331v2)
}

func isUntag(name string) bool {
	switch name {
	case "UntagResource", "UntagResources", "UntagUser", "UntagRole", "UntagQueue", "UntagLogGroup",
		"RemoveTagsFromResource", "UntagPolicy", "UntagInstanceProfile", "UntagOpenIDConnectProvider",
		"UntagSAMLProvider", "UntagServerCertificate", "UntagMFADevice", "RemoveTags", "RemoveTagsFromStream",
		"UntagDeliveryStream":
		return true
	}
	return strings.HasPrefix(name, "UntagResource")
}

// genericTargets names the resources of a TagResource-style call: ARN
// fields the services use, else the resources internal/resource derives
// from the request (IAM names, queue URLs, key IDs, secret IDs, …).
func genericTargets(ev, rp *fastjson.Value) []string {
	var out []string
	for _, f := range [...]string{"resourceArn", "resourceARN", "ResourceArn", "ResourceARN", "resource", "resourceName", "ResourceName", "resourceId", "ResourceId"} {
		if s := string(rp.GetStringBytes(f)); strings.HasPrefix(s, "arn:") {
			out = append(out, s)
		}
	}
	for _, f := range [...]string{"resourceARNList", "ResourceARNList", "resourceArns"} {
		for _, v := range arrayOrOne(rp.Get(f)) {
			if s := string(v.GetStringBytes()); strings.HasPrefix(s, "arn:") {
				out = append(out, s)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	// SSM AddTagsToResource: resourceType + resourceId.
	if string(ev.GetStringBytes("eventSource")) == "ssm.amazonaws.com" {
		if a := ssmTarget(ev, rp); a != "" {
			return []string{a}
		}
	}
	for _, r := range resource.Touched(ev) {
		out = append(out, r.ARN)
	}
	return out
}

func ssmTarget(ev, rp *fastjson.Value) string {
	id := string(rp.GetStringBytes("resourceId"))
	part, region, account := resource.Context(ev)
	if id == "" || region == "" || account == "" {
		return ""
	}
	switch string(rp.GetStringBytes("resourceType")) {
	case "Parameter":
		return "arn:" + part + ":ssm:" + region + ":" + account + ":parameter/" + strings.TrimPrefix(id, "/")
	case "Document":
		return "arn:" + part + ":ssm:" + region + ":" + account + ":document/" + id
	case "ManagedInstance":
		return "arn:" + part + ":ssm:" + region + ":" + account + ":managed-instance/" + id
	}
	return ""
}

// s3Targets: the bucket for bucket tagging, the object for object tagging.
func s3Targets(ev *fastjson.Value, name string) []string {
	want := "s3:bucket"
	if strings.Contains(name, "Object") {
		want = "s3:object"
	}
	var out []string
	for _, r := range resource.Touched(ev) {
		if r.Type == want {
			out = append(out, r.ARN)
		}
	}
	return out
}

// ec2Targets turns CreateTags/DeleteTags resource IDs into ARNs by their
// prefix (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
func ec2Targets(ev, rp *fastjson.Value) []string {
	part, region, account := resource.Context(ev)
	if region == "" {
		return nil
	}
	var out []string
	for _, it := range arrayOrOne(rp.Get("resourcesSet", "items")) {
		id := string(it.GetStringBytes("resourceId"))
		kind, _, ok := strings.Cut(id, "-")
		if !ok {
			continue
		}
		acct := account
		var typ string
		switch kind {
		case "i":
			typ = "instance"
		case "vol":
			typ = "volume"
		case "sg":
			typ = "security-group"
		case "snap":
			typ, acct = "snapshot", ""
		case "ami":
			typ, acct = "image", ""
		case "vpc":
			typ = "vpc"
		case "subnet":
			typ = "subnet"
		case "eni":
			typ = "network-interface"
		case "igw":
			typ = "internet-gateway"
		case "rtb":
			typ = "route-table"
		case "eipalloc":
			typ = "elastic-ip"
		case "lt":
			typ = "launch-template"
		default:
			continue
		}
		if acct == "" && typ != "snapshot" && typ != "image" {
			continue
		}
		out = append(out, "arn:"+part+":ec2:"+region+":"+acct+":"+typ+"/"+id)
	}
	return out
}

func firstOf(v *fastjson.Value, keys ...string) *fastjson.Value {
	for _, k := range keys {
		if x := v.Get(k); x != nil && x.Type() != fastjson.TypeNull {
			return x
		}
	}
	return nil
}

func arrayOrOne(v *fastjson.Value) []*fastjson.Value {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeArray:
		a, _ := v.Array()
		return a
	case fastjson.TypeNull:
		return nil
	}
	return []*fastjson.Value{v}
}

// tagsFrom reads the tag shapes CloudTrail logs: an object {"k":"v"}, or a
// list (or one XML-collapsed element) of {"key","value"} in any of the
// casings services use (Key/Value, tagKey/tagValue, TagKey/TagValue).
func tagsFrom(v *fastjson.Value) map[string]string {
	if v == nil {
		return nil
	}
	out := map[string]string{}
	if v.Type() == fastjson.TypeObject && v.Get("key") == nil && v.Get("Key") == nil && v.Get("tagKey") == nil && v.Get("TagKey") == nil {
		o, _ := v.Object()
		o.Visit(func(k []byte, x *fastjson.Value) {
			out[string(k)] = scalar(x)
		})
		return out
	}
	for _, it := range arrayOrOne(v) {
		k := firstOf(it, "key", "Key", "tagKey", "TagKey")
		if k == nil || k.Type() != fastjson.TypeString {
			continue
		}
		val := firstOf(it, "value", "Value", "tagValue", "TagValue")
		out[string(k.GetStringBytes())] = scalar(val)
	}
	return out
}

func scalar(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	if v.Type() == fastjson.TypeString {
		return string(v.GetStringBytes())
	}
	return v.String()
}

// keysFrom reads removed keys: a list of strings, or of tag objects.
func keysFrom(v *fastjson.Value) []string {
	var out []string
	for _, it := range arrayOrOne(v) {
		if it.Type() == fastjson.TypeString {
			out = append(out, string(it.GetStringBytes()))
			continue
		}
		if k := firstOf(it, "key", "Key", "tagKey", "TagKey"); k != nil && k.Type() == fastjson.TypeString {
			out = append(out, string(k.GetStringBytes()))
		}
	}
	return out
}
