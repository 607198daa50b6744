package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/valyala/fastjson"
)

// This file writes CloudTrail records straight from their parsed JSON into
// the Parquet column writers of the cloudtrail table: one parquet.Value per
// leaf column and record, with the definition and repetition levels the
// CloudTrailRow schema gives, and no row struct or reflection in between.
// The values are those RowFromJSON gives (the tests compare the two), with
// one exception: webidfederationdata.attributes keeps the JSON order of its
// entries instead of Go's random map order.

// nodeKind is what a plan node stores.
type nodeKind uint8

const (
	kindText  nodeKind = iota // a leaf STRING: the JsonSerDe's text of the value
	kindGroup                 // a struct: present when the value is an object
	kindList                  // array<struct>: present when a non-empty array
	kindMap                   // map<string,string>: present when a non-empty object
)

// node maps a JSON key to a column (leaf) or to nested columns.
type node struct {
	name string // Parquet column name
	key  string // JSON key
	kind nodeKind
	kids []*node

	// compiled
	col   int // leaf column (kindText); key column (kindMap)
	def   int // definition level when present
	first int // first leaf column of the subtree
	last  int // one past its last leaf column
	index map[string]int
	id    int // groups and lists: index of the node's scratch in a shredder
}

func leafNode(name, key string) *node { return &node{name: name, key: key, kind: kindText} }

func group(name, key string, kids ...*node) *node {
	return &node{name: name, key: key, kind: kindGroup, kids: kids}
}

// cloudTrailPlan is the JSON path of every column of CloudTrailRow, in the
// same places RowFromJSON reads them.
func cloudTrailPlan() *node {
	return group("", "",
		leafNode("eventversion", "eventVersion"),
		group("useridentity", "userIdentity",
			leafNode("type", "type"), leafNode("principalid", "principalId"), leafNode("arn", "arn"),
			leafNode("accountid", "accountId"), leafNode("invokedby", "invokedBy"), leafNode("accesskeyid", "accessKeyId"),
			leafNode("username", "userName"),
			group("onbehalfof", "onBehalfOf", leafNode("userid", "userId"), leafNode("identitystorearn", "identityStoreArn")),
			group("sessioncontext", "sessionContext",
				group("attributes", "attributes", leafNode("mfaauthenticated", "mfaAuthenticated"), leafNode("creationdate", "creationDate")),
				group("sessionissuer", "sessionIssuer",
					leafNode("type", "type"), leafNode("principalid", "principalId"), leafNode("arn", "arn"),
					leafNode("accountid", "accountId"), leafNode("username", "userName")),
				leafNode("ec2roledelivery", "ec2RoleDelivery"),
				group("webidfederationdata", "webIdFederationData",
					leafNode("federatedprovider", "federatedProvider"),
					&node{name: "attributes", key: "attributes", kind: kindMap}))),
		leafNode("eventtime", "eventTime"),
		leafNode("eventsource", "eventSource"),
		leafNode("eventname", "eventName"),
		leafNode("awsregion", "awsRegion"),
		leafNode("sourceipaddress", "sourceIPAddress"),
		leafNode("useragent", "userAgent"),
		leafNode("errorcode", "errorCode"),
		leafNode("errormessage", "errorMessage"),
		leafNode("requestparameters", "requestParameters"),
		leafNode("responseelements", "responseElements"),
		leafNode("additionaleventdata", "additionalEventData"),
		leafNode("requestid", "requestID"),
		leafNode("eventid", "eventID"),
		leafNode("readonly", "readOnly"),
		&node{name: "resources", key: "resources", kind: kindList, kids: []*node{
			leafNode("arn", "ARN"), leafNode("accountid", "accountId"), leafNode("type", "type")}},
		leafNode("eventtype", "eventType"),
		leafNode("apiversion", "apiVersion"),
		leafNode("recipientaccountid", "recipientAccountId"),
		leafNode("serviceeventdetails", "serviceEventDetails"),
		leafNode("sharedeventid", "sharedEventID"),
		leafNode("vpcendpointid", "vpcEndpointId"),
		leafNode("vpcendpointaccountid", "vpcEndpointAccountId"),
		leafNode("eventcategory", "eventCategory"),
		group("addendum", "addendum",
			leafNode("reason", "reason"), leafNode("updatedfields", "updatedFields"),
			leafNode("originalrequestid", "originalRequestID"), leafNode("originaleventid", "originalEventID")),
		leafNode("sessioncredentialfromconsole", "sessionCredentialFromConsole"),
		leafNode("edgedevicedetails", "edgeDeviceDetails"),
		group("tlsdetails", "tlsDetails",
			leafNode("tlsversion", "tlsVersion"), leafNode("ciphersuite", "cipherSuite"),
			leafNode("clientprovidedhostheader", "clientProvidedHostHeader")),
	)
}

// compilePlan resolves every leaf of the plan to its column in schema and
// checks that the plan covers each column exactly once with the levels it
// assumes.
func compilePlan(root *node, schema *parquet.Schema) error {
	seen := map[int]bool{}
	groups := 0
	var walk func(n *node, path []string, def int) error
	leaf := func(path []string, def, rep int) (int, error) {
		l, ok := schema.Lookup(path...)
		if !ok {
			return 0, fmt.Errorf("store: column %s not in the schema", strings.Join(path, "."))
		}
		if l.MaxDefinitionLevel != def || l.MaxRepetitionLevel != rep {
			return 0, fmt.Errorf("store: column %s has levels %d/%d, want %d/%d", strings.Join(path, "."),
				l.MaxRepetitionLevel, l.MaxDefinitionLevel, rep, def)
		}
		if seen[l.ColumnIndex] {
			return 0, fmt.Errorf("store: column %s mapped twice", strings.Join(path, "."))
		}
		seen[l.ColumnIndex] = true
		return l.ColumnIndex, nil
	}
	walk = func(n *node, path []string, def int) (err error) {
		n.def = def
		switch n.kind {
		case kindText:
			n.col, err = leaf(path, def, 0)
			n.first, n.last = n.col, n.col+1
			return err
		case kindMap:
			// optional map (def), repeated key_value (def+1), required key,
			// required value.
			kv := append(slices.Clone(path), "key_value")
			if n.col, err = leaf(append(kv, "key"), def+1, 1); err != nil {
				return err
			}
			if _, err = leaf(append(kv, "value"), def+1, 1); err != nil {
				return err
			}
			n.first, n.last = n.col, n.col+2
			return nil
		case kindList:
			// optional list (def), repeated list (def+1), required element,
			// optional fields (def+2).
			for _, k := range n.kids {
				k.def = def + 2
				if k.kind != kindText {
					return fmt.Errorf("store: list %s: only text fields are supported", n.name)
				}
				p := append(slices.Clone(path), "list", "element", k.name)
				if k.col, err = leaf(p, def+2, 1); err != nil {
					return err
				}
			}
		case kindGroup:
			for _, k := range n.kids {
				if err := walk(k, append(slices.Clone(path), k.name), def+1); err != nil {
					return err
				}
			}
		}
		n.first, n.last = n.kids[0].first, n.kids[len(n.kids)-1].last
		if n.kind == kindList {
			n.first, n.last = n.kids[0].col, n.kids[len(n.kids)-1].col+1
		}
		// nulls writes a subtree's columns as the range first..last.
		if leaves := countLeaves(n); n.last-n.first != leaves {
			return fmt.Errorf("store: the %d columns of %s are not contiguous", leaves, strings.Join(path, "."))
		}
		n.id = groups
		groups++
		n.index = make(map[string]int, len(n.kids))
		for i, k := range n.kids {
			n.index[k.key] = i
		}
		return nil
	}
	if err := walk(root, nil, 0); err != nil {
		return err
	}
	want := len(schema.Columns())
	if l, ok := schema.Lookup(actorKeyColumn); ok && !seen[l.ColumnIndex] {
		want-- // the writer's own, not the record's
	}
	if len(seen) != want {
		return fmt.Errorf("store: plan maps %d of %d columns", len(seen), want)
	}
	return nil
}

// countLeaves is the number of leaf columns under n.
func countLeaves(n *node) int {
	switch n.kind {
	case kindText:
		return 1
	case kindMap:
		return 2
	}
	c := 0
	for _, k := range n.kids {
		c += countLeaves(k)
	}
	return c
}

// shredder turns parsed records into column values. Byte values are copied
// into arena chunks, which stay untouched until the values are written.
type shredder struct {
	cols [][]parquet.Value
	rows int
	// arena holds the bytes of the current batch; chunks that filled up
	// are kept in full, and recycled into spare by reset.
	arena []byte
	full  [][]byte
	spare [][]byte
	// scratch per group node (by id): the child values of the current
	// object
	scratch [][]*fastjson.Value
	// order caches, for the tree walk, per group node (by id), the child
	// index of the i-th key of the last object seen, so that records with
	// the same key order resolve each key with one comparison.
	order [][]int32
	// next caches, for the text scanner, per group node (by id), the two
	// keys that last followed each child (at 1+child; 0 is the first key,
	// and len(kids)+1 follows keys not in the plan). Records of several
	// shapes interleave but share their key sequences, so on the 1M-event
	// corpus 98% of keys resolve with one or two comparisons, against 70%
	// when guessing by position (a key more or less shifts all the rest).
	next    [][][2]keyGuess
	entries []mapEntry
}

const arenaChunk = 256 << 10

func newShredder(columns int) *shredder {
	return &shredder{cols: make([][]parquet.Value, columns)}
}

// add appends one record (a JSON object) as a row of the columns of plan.
func (s *shredder) add(plan *node, v *fastjson.Value) {
	s.object(plan, v, 0)
	s.rows++
}

// addChildren appends one record as a row, given the values of plan's
// children (from children).
func (s *shredder) addChildren(plan *node, vals []*fastjson.Value) {
	for i, k := range plan.kids {
		s.value(k, vals[i], 0)
	}
	s.rows++
}

// reset forgets the written values and recycles the arena.
func (s *shredder) reset() {
	for i := range s.cols {
		clear(s.cols[i])
		s.cols[i] = s.cols[i][:0]
	}
	s.rows = 0
	s.spare = append(s.spare, s.full...)
	clear(s.full)
	s.full = s.full[:0]
	s.arena = s.arena[:0]
}

// room makes the arena able to take n more bytes without moving.
func (s *shredder) room(n int) {
	if len(s.arena)+n <= cap(s.arena) {
		return
	}
	if cap(s.arena) > 0 {
		s.full = append(s.full, s.arena)
	}
	if n <= arenaChunk && len(s.spare) > 0 {
		s.arena = s.spare[len(s.spare)-1][:0]
		s.spare = s.spare[:len(s.spare)-1]
		return
	}
	s.arena = make([]byte, 0, max(n, arenaChunk))
}

func (s *shredder) bytes(b []byte) []byte {
	s.room(len(b))
	start := len(s.arena)
	s.arena = append(s.arena, b...)
	return s.arena[start:len(s.arena):len(s.arena)]
}

// textValue appends to s.arena what the Hive JsonSerDe puts in a STRING
// column for v (see text) and reports whether it is NULL.
func (s *shredder) textValue(v *fastjson.Value) ([]byte, bool) {
	if v == nil {
		return nil, true
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return nil, true
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if len(b) == 0 {
			return nil, true
		}
		return s.bytes(b), false
	}
	s.room(64)
	start := len(s.arena)
	out := v.MarshalTo(s.arena)
	if len(out) <= cap(s.arena) { // appended in place
		s.arena = out[:len(out):cap(out)]
		return out[start:len(out):len(out)], false
	}
	return out[start:], false // MarshalTo grew its own copy
}

func (s *shredder) leaf(n *node, v *fastjson.Value, rep int) {
	b, null := s.textValue(v)
	var pv parquet.Value
	if null {
		pv.SetDefinitionLevel(n.def - 1)
	} else {
		pv = parquet.ByteArrayValue(b)
		pv.SetDefinitionLevel(n.def)
	}
	pv.SetRepetitionLevel(rep)
	pv.SetColumnIndex(n.col)
	s.cols[n.col] = append(s.cols[n.col], pv)
}

// nulls appends a NULL at definition level def to every column of n.
func (s *shredder) nulls(n *node, rep, def int) {
	var pv parquet.Value
	pv.SetRepetitionLevel(rep)
	pv.SetDefinitionLevel(def)
	for c := n.first; c < n.last; c++ {
		pv.SetColumnIndex(c)
		s.cols[c] = append(s.cols[c], pv)
	}
}

// children fills the scratch of group n with v's values for its children
// (nil when absent; the first of duplicate keys wins, as with Get).
func (s *shredder) children(n *node, o *fastjson.Object) []*fastjson.Value {
	s.orderOf(n) // grows scratch and order to n
	vals := s.scratch[n.id]
	if vals == nil {
		vals = make([]*fastjson.Value, len(n.kids))
		s.scratch[n.id] = vals
	}
	clear(vals)
	order := s.order[n.id]
	i := 0
	o.Visit(func(k []byte, v *fastjson.Value) {
		j := int32(-1)
		if i < len(order) && order[i] >= 0 && n.kids[order[i]].key == string(k) {
			j = order[i]
		} else {
			if c, ok := n.index[string(k)]; ok {
				j = int32(c)
			}
			if i < len(order) {
				order[i] = j
			} else {
				order = append(order, j)
			}
		}
		if j >= 0 && vals[j] == nil {
			vals[j] = v
		}
		i++
	})
	s.order[n.id] = order
	return vals
}

// object writes the columns of group n for v, which is present at
// definition level n.def-1 (its parent's).
func (s *shredder) object(n *node, v *fastjson.Value, rep int) {
	if v == nil || v.Type() != fastjson.TypeObject {
		s.nulls(n, rep, max(n.def-1, 0))
		return
	}
	o, _ := v.Object()
	vals := s.children(n, o)
	for i, k := range n.kids {
		s.value(k, vals[i], rep)
	}
}

func (s *shredder) value(n *node, v *fastjson.Value, rep int) {
	switch n.kind {
	case kindText:
		s.leaf(n, v, rep)
	case kindGroup:
		s.object(n, v, rep)
	case kindList:
		var items []*fastjson.Value
		if v != nil && v.Type() == fastjson.TypeArray {
			items, _ = v.Array()
		}
		if len(items) == 0 {
			s.nulls(n, rep, n.def-1)
			return
		}
		for i, item := range items {
			r := rep
			if i > 0 {
				r = 1
			}
			if item == nil || item.Type() != fastjson.TypeObject {
				// an element that is not an object: all its fields NULL
				for _, k := range n.kids {
					s.leaf(k, nil, r)
				}
				continue
			}
			o, _ := item.Object()
			vals := s.children(n, o)
			for j, k := range n.kids {
				s.leaf(k, vals[j], r)
			}
		}
	case kindMap:
		var o *fastjson.Object
		if v != nil && v.Type() == fastjson.TypeObject {
			o, _ = v.Object()
		}
		if o == nil || o.Len() == 0 {
			s.nulls(n, rep, n.def-1)
			return
		}
		// The last of duplicate keys wins, as in a Go map.
		entries := s.entries[:0]
		o.Visit(func(k []byte, val *fastjson.Value) {
			for i := range entries {
				if string(entries[i].k) == string(k) {
					entries[i].v = val
					return
				}
			}
			entries = append(entries, mapEntry{k, val})
		})
		for i, e := range entries {
			r := rep
			if i > 0 {
				r = 1
			}
			key := s.bytes(e.k)
			b, _ := s.textValue(e.v)
			s.cols[n.col] = append(s.cols[n.col], parquet.ByteArrayValue(key).Level(r, n.def+1, n.col))
			s.cols[n.col+1] = append(s.cols[n.col+1], parquet.ByteArrayValue(b).Level(r, n.def+1, n.col+1))
		}
		clear(entries)
		s.entries = entries[:0]
	}
}

type mapEntry struct {
	k []byte
	v *fastjson.Value
}
