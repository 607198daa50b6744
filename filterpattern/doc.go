// Package filterpattern implements the Amazon CloudWatch Logs filter-pattern
// language: the language of metric filters, subscription filters,
// FilterLogEvents, TestMetricFilter and Live Tail (not CloudWatch Logs
// Insights). It gives the answer CloudWatch Logs gives: which events match,
// and which values TestMetricFilter reports as extractedValues.
//
// The language has five kinds of pattern
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
//
//	""  or  " "                          match every event
//	ERROR -ARGUMENTS "bad request"       terms, phrases, ?optional and -excluded terms
//	%[Ee]rror|[Ff]ail%                    a regular expression
//	{ $.eventName = CreateUser }          a JSON pattern
//	[ip, user, ..., status_code=4*, size] a space-delimited pattern
//
// Parse compiles a pattern once; the *Pattern is immutable and safe for
// concurrent use by many goroutines. Match evaluates one event:
//
//	p, err := filterpattern.Parse(`{ ($.eventName = CreateAccessKey) || ($.eventName = CreateUser) }`)
//	if err != nil {
//		log.Fatal(err) // filter pattern: column N: expected ..., found ...
//	}
//	if p.MatchString(`{"eventName":"CreateUser"}`) {
//		fmt.Println("matched")
//	}
//
// For JSON patterns the caller may hand in a message it already parsed with
// github.com/valyala/fastjson (Event.JSON); matching then allocates nothing.
// A fastjson value is not safe for concurrent use (fastjson unescapes strings
// lazily), so one Event's JSON must be matched by one goroutine at a time.
//
// Where the AWS documentation is silent, the behaviour chosen is written down,
// with its evidence, in docs/filterpattern.md.
package filterpattern
