package javafmt

import (
	"math"
	"strconv"
	"testing"
)

// TestDouble: Java's Double.toString, which Athena's results show for
// DOUBLE values and CloudWatch's alarm reasons for datapoints and
// thresholds.
func TestDouble(t *testing.T) {
	tenth, fifth := 0.1, 0.2
	for _, c := range []struct {
		x    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {-2.5, "-2.5"}, {100, "100.0"},
		{0.001, "0.001"}, {0.00099, "9.9E-4"}, {1e-5, "1.0E-5"}, {9999999, "9999999.0"}, {1e7, "1.0E7"},
		{1740787203, "1.740787203E9"}, {tenth + fifth, "0.30000000000000004"}, {123456.789, "123456.789"},
		{-1.5e300, "-1.5E300"}, {math.MaxFloat64, "1.7976931348623157E308"}, {5e-324, "4.9E-324"},
		{math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
		// from CloudWatch alarm reasons
		{537, "537.0"}, {0.19726775956284198, "0.19726775956284198"}, {1.5e-4, "1.5E-4"},
	} {
		if got := Double(c.x); got != c.want {
			t.Errorf("Double(%v) = %s, want %s", c.x, got, c.want)
		}
	}
}

// FuzzDouble: what is printed reads back as the same double.
func FuzzDouble(f *testing.F) {
	f.Add(1740787203.0)
	f.Add(0.00099)
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		s := Double(x)
		y, err := strconv.ParseFloat(s, 64)
		if err != nil || y != x || math.Signbit(y) != math.Signbit(x) {
			t.Fatalf("%v printed as %s reads back as %v, %v", x, s, y, err)
		}
	})
}
