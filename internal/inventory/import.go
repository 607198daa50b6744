package inventory

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ImportOptions say what a file does not: when it was taken and, for lists
// of IAM user names, the account.
type ImportOptions struct {
	// AsOf is when the exported data was taken (required).
	AsOf time.Time
	// Account and Partition build IAM ARNs for entries that give only a
	// name; without Account the ARN's account is "*" and matches the
	// name in any account.
	Account   string
	Partition string
}

// maxImportSize bounds a JSON file read whole (inventories are far smaller
// than logs; the bound keeps a wrong file from exhausting memory).
const maxImportSize = 1 << 30

// Import reads one exported tag file, recognised by content:
//
//   - Resource Groups Tagging API GetResources output
//     ({"ResourceTagMappingList":[{"ResourceARN","Tags":[{"Key","Value"}]}]},
//     or the bare list, as seed 000's Step Functions saved it);
//   - IAM users or roles with tags: seed 000's list
//     ([{"UserName":…, "<any name>":{"Tags":[…]}}]), `aws iam
//     get-account-authorization-details` (UserDetailList, RoleDetailList),
//     and list/get-user/get-role shapes ({"Users"|"Roles":[{…,"Arn","Tags"}]},
//     {"User"|"Role":{…}}); entries without any tag list are skipped,
//     because their tags are unknown rather than empty;
//   - CSV with a header naming the columns arn, key and value (also
//     resource_arn/ResourceARN, tag_key, tag_value); a row with an empty
//     key records an ARN known to carry no tags.
func Import(r io.Reader, name string, opt ImportOptions) (*Snapshot, error) {
	if opt.AsOf.IsZero() {
		return nil, fmt.Errorf("import %s: the time the data was taken is required", name)
	}
	if opt.Partition == "" {
		opt.Partition = "aws"
	}
	br := bufio.NewReader(r)
	first, skipped, err := firstNonSpace(br)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	s := &Snapshot{TakenAt: opt.AsOf.UTC(), Source: "import " + name}
	im := importer{opt: opt, byARN: map[string]int{}, s: s, skipped: skipped}
	switch first {
	case '{', '[':
		err = im.json(br)
	default:
		err = im.csv(br)
	}
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	if len(s.Resources) == 0 {
		return nil, fmt.Errorf("import %s: no resources or principals with tags found (expected GetResources output, an IAM user/role list with Tags, or CSV arn,key,value)", name)
	}
	return s, nil
}

// firstNonSpace skips white space and a byte order mark and returns the
// next byte and how many were skipped.
func firstNonSpace(br *bufio.Reader) (byte, int64, error) {
	var n int64
	for {
		b, err := br.Peek(1)
		if err == io.EOF {
			return 0, n, errors.New("the file is empty")
		}
		if err != nil {
			return 0, n, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.ReadByte()
			n++
		case 0xEF: // UTF-8 byte order mark
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				br.Discard(3)
				n += 3
				continue
			}
			return b[0], n, nil
		default:
			return b[0], n, nil
		}
	}
}

type importer struct {
	opt     ImportOptions
	skipped int64 // bytes before the document, for error offsets
	s       *Snapshot
	byARN   map[string]int
}

// add records arn's tags; the same ARN twice merges.
func (im *importer) add(arn string, tags map[string]string) {
	if i, ok := im.byARN[arn]; ok {
		for k, v := range tags {
			im.s.Resources[i].Tags[k] = v
		}
		return
	}
	if tags == nil {
		tags = map[string]string{}
	}
	im.byARN[arn] = len(im.s.Resources)
	im.s.Resources = append(im.s.Resources, Resource{ARN: arn, Tags: tags})
}

func (im *importer) iamARN(kind, name string) string {
	acct := im.opt.Account
	if acct == "" {
		acct = "*"
	}
	return "arn:" + im.opt.Partition + ":iam::" + acct + ":" + kind + "/" + name
}

func (im *importer) json(r io.Reader) error {
	dec := json.NewDecoder(io.LimitReader(r, maxImportSize))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Offset counts the bytes read, the offending one included.
			return fmt.Errorf("invalid JSON at offset %d: %w", im.skipped+se.Offset-1, err)
		}
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("invalid JSON at offset %d: more than one JSON value", im.skipped+dec.InputOffset())
	}
	im.walk(doc)
	return nil
}

// walk finds the entries anywhere in the document: lists of them, and the
// top-level keys the AWS CLI uses.
func (im *importer) walk(v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			im.walk(e)
		}
	case map[string]any:
		if im.entry(x) {
			return
		}
		for _, k := range []string{"ResourceTagMappingList", "UserDetailList", "RoleDetailList", "Users", "Roles", "User", "Role", "Items", "items"} {
			if e, ok := x[k]; ok {
				im.walk(e)
			}
		}
	}
}

// entry reads one resource or principal; false if x is none.
func (im *importer) entry(x map[string]any) bool {
	if arn, ok := x["ResourceARN"].(string); ok {
		im.add(arn, tagMap(x["Tags"]))
		return true
	}
	for _, kind := range []string{"User", "Role"} {
		name, ok := x[kind+"Name"].(string)
		if !ok {
			continue
		}
		tags, found := findTags(x)
		if !found {
			return true // tags unknown: skip the entry
		}
		arn, _ := x["Arn"].(string)
		if arn == "" {
			arn = im.iamARN(strings.ToLower(kind), name)
		}
		im.add(arn, tags)
		return true
	}
	return false
}

// findTags finds the tag list of an IAM entry: "Tags", or any field holding
// {"Tags":[…]} (seed 000 saved ListUserTags output under a name of its own).
func findTags(x map[string]any) (map[string]string, bool) {
	if t, ok := x["Tags"]; ok {
		return tagMap(t), true
	}
	for _, v := range x {
		if o, ok := v.(map[string]any); ok {
			if t, ok := o["Tags"]; ok {
				return tagMap(t), true
			}
		}
	}
	return nil, false
}

// tagMap reads [{"Key","Value"}] (any casing) or {"k":"v"}.
func tagMap(v any) map[string]string {
	out := map[string]string{}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			o, ok := e.(map[string]any)
			if !ok {
				continue
			}
			var k, val string
			for f, fv := range o {
				switch strings.ToLower(f) {
				case "key", "tagkey":
					k = text(fv)
				case "value", "tagvalue":
					val = text(fv)
				}
			}
			if k != "" {
				out[k] = val
			}
		}
	case map[string]any:
		for k, fv := range x {
			out[k] = text(fv)
		}
	}
	return out
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (im *importer) csv(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "arn", "resource_arn", "resourcearn":
			col["arn"] = i
		case "key", "tag_key", "tagkey":
			col["key"] = i
		case "value", "tag_value", "tagvalue":
			col["value"] = i
		}
	}
	for _, c := range []string{"arn", "key", "value"} {
		if _, ok := col[c]; !ok {
			return fmt.Errorf("CSV line 1: expected a header with the columns arn, key and value, got %q", strings.Join(head, ","))
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i := col[c]; i < len(rec) {
				return rec[i]
			}
			return ""
		}
		arn := strings.TrimSpace(get("arn"))
		if !strings.HasPrefix(arn, "arn:") {
			return fmt.Errorf("CSV line %d: expected an ARN in column %d, got %q", line, col["arn"]+1, arn)
		}
		tags := map[string]string{}
		if k := get("key"); k != "" {
			tags[k] = get("value")
		}
		im.add(arn, tags)
	}
}
