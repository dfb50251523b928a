package oci

import (
	"fmt"
	"strconv"
	"strings"
)

// maxScale bounds the digits after the point: 10^18 still fits an int64.
const maxScale = 18

// Decimal is an exact decimal number, Units × 10^-Scale: 19.90 is
// {Units: 1990, Scale: 2}. Prices and quantities travel as text in OCI, so
// they are kept exact here and never pass through a float.
type Decimal struct {
	Units int64
	Scale int // digits after the decimal point, 0 to 18
}

// Dec returns units × 10^-scale.
func Dec(units int64, scale int) Decimal { return Decimal{Units: units, Scale: scale} }

// ParseDecimal reads a number written with a dot and digits only, such as
// "12", "0.5" or "19.90"; an optional leading "-" makes it negative. The
// scale is the number of digits written after the dot, so "19.90" keeps
// both. Thousands separators, a decimal comma, exponents and spaces are
// refused rather than guessed at.
func ParseDecimal(s string) (Decimal, error) {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	whole, frac, hasPoint := strings.Cut(digits, ".")
	if whole == "" || (hasPoint && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return Decimal{}, fmt.Errorf("oci: %q is not a decimal number such as 12 or 19.90", s)
	}
	if len(frac) > maxScale {
		return Decimal{}, fmt.Errorf("oci: %q has more than %d decimals", s, maxScale)
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return Decimal{}, fmt.Errorf("oci: %q is out of range", s)
	}
	if neg {
		n = -n
	}
	return Decimal{Units: n, Scale: len(frac)}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the number with a dot and exactly Scale decimals, no
// thousands separators: Dec(1990, 2) is "19.90", Dec(-5, 3) is "-0.005".
func (d Decimal) String() string {
	if d.Scale < 0 || d.Scale > maxScale {
		return fmt.Sprintf("%%!(BADSCALE %d)", d.Scale)
	}
	u := uint64(d.Units)
	sign := ""
	if d.Units < 0 {
		u, sign = -u, "-"
	}
	s := strconv.FormatUint(u, 10)
	if d.Scale == 0 {
		return sign + s
	}
	if len(s) <= d.Scale {
		s = strings.Repeat("0", d.Scale-len(s)+1) + s
	}
	return sign + s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
}

// Sign is -1, 0 or +1.
func (d Decimal) Sign() int {
	switch {
	case d.Units < 0:
		return -1
	case d.Units > 0:
		return 1
	}
	return 0
}

// trimmed drops trailing zeros after the point; the value is unchanged.
func (d Decimal) trimmed() Decimal {
	for d.Scale > 0 && d.Units%10 == 0 {
		d.Units /= 10
		d.Scale--
	}
	return d
}
