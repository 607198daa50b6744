package filterpattern

import "unicode/utf8"

// Limits CloudWatch Logs enforces on a filter pattern.
const (
	// MaxLength is the longest pattern, in characters: "Length Constraints:
	// Minimum length of 0. Maximum length of 1024."
	// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_MetricFilter.html
	MaxLength = 1024

	// MaxRegexes is the number of %regex% values one JSON or space-delimited
	// pattern may hold: "There is a limit of 2 regex for each filter pattern
	// when creating a delimited or JSON filter pattern".
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#regex-expressions
	MaxRegexes = 2

	// MaxWildcardsPerSelector and MaxWildcardSelectors bound the JSON
	// wildcard selector (* and [*]): "You can use at most one wildcard
	// selector per property selector" and "at most three wildcard selectors
	// per filter pattern with compound expressions".
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-terms-json-log-events
	MaxWildcardsPerSelector = 1
	MaxWildcardSelectors    = 3
)

// checkLength rejects a pattern longer than MaxLength characters. Characters
// are counted as Unicode code points.
func checkLength(pattern string) error {
	if len(pattern) <= MaxLength {
		return nil // fast path: bytes >= characters
	}
	n := utf8.RuneCountInString(pattern)
	if n <= MaxLength {
		return nil
	}
	off, i := 0, 0
	for off = range pattern {
		if i == MaxLength {
			break
		}
		i++
	}
	return errorf(off, "the pattern is %d characters long; the limit is %d characters", n, MaxLength)
}
