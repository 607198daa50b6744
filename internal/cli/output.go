package cli

import (
	"sort"
	"strconv"
	"unicode/utf8"
)

// appendPyJSONString appends s as a JSON string the way the AWS CLI prints
// it (Python's json.dumps with ensure_ascii=False): only '"', '\\' and
// control characters are escaped, control characters as lowercase \u00xx.
// Invalid UTF-8 bytes become U+FFFD, as the CLI decodes responses as UTF-8.
func appendPyJSONString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			if c < 0x20 {
				const hex = "0123456789abcdef"
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				dst = append(dst, c)
			}
		}
		i++
	}
	return append(dst, '"')
}

// sortedExtracted returns the keys of an extractedValues map in a stable
// order: positional $1..$n numerically, then named fields and selectors
// alphabetically.
func sortedExtracted(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ni, ei := strconv.Atoi(keys[i][1:])
		nj, ej := strconv.Atoi(keys[j][1:])
		switch {
		case ei == nil && ej == nil:
			return ni < nj
		case ei == nil:
			return true
		case ej == nil:
			return false
		}
		return keys[i] < keys[j]
	})
	return keys
}
