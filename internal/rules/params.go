package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Pseudo parameters and the values they take unless --param overrides them
// (docs/rules.md). They are the placeholders of AWS's documentation.
func pseudoDefault(name string) (string, bool) {
	switch name {
	case "AWS::AccountId":
		return "123456789012", true
	case "AWS::Region":
		return "us-east-1", true
	case "AWS::Partition":
		return "aws", true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	case "AWS::StackName":
		return "trailwatch", true
	case "AWS::StackId":
		return "arn:aws:cloudformation:us-east-1:123456789012:stack/trailwatch/00000000-0000-0000-0000-000000000000", true
	}
	return "", false
}

// LoadOptions configure loading.
type LoadOptions struct {
	// Params are values given with --param KEY=VALUE. They set declared
	// parameters and override pseudo parameters such as AWS::AccountId.
	Params map[string]string
}

func (o LoadOptions) pseudo(name string) (string, bool) {
	if v, ok := o.Params[name]; ok {
		if _, known := pseudoDefault(name); known {
			return v, true
		}
	}
	return pseudoDefault(name)
}

// ParseParams parses KEY=VALUE arguments.
func ParseParams(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: want KEY=VALUE", a)
		}
		out[k] = v
	}
	return out, nil
}

// UnusedParams returns the --param keys that no loaded file declares and
// that are not pseudo parameters, sorted: almost always a typo.
func UnusedParams(given map[string]string, s *Set) []string {
	declared := map[string]bool{}
	for _, p := range s.Parameters {
		declared[p.Name] = true
	}
	var out []string
	for k := range given {
		if _, pseudo := pseudoDefault(k); !pseudo && !declared[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// substitute replaces ${NAME} in s with lookup(NAME), as Fn::Sub does;
// ${!LITERAL} is written as ${LITERAL}.
func substitute(s string, lookup func(name string) (string, error)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var sb strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			sb.WriteString(s)
			return sb.String(), nil
		}
		sb.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		name := s[i+2 : i+j]
		s = s[i+j+1:]
		if strings.HasPrefix(name, "!") {
			sb.WriteString("${" + name[1:] + "}")
			continue
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return "", fmt.Errorf("empty ${} in substitution")
		}
		v, err := lookup(name)
		if err != nil {
			return "", err
		}
		sb.WriteString(v)
	}
}
