package main

// The key types the recorder runs maps of, and how the trace language
// writes their keys and values (trace/trace-format.md, `keys` header line):
// u64 keys and values are decimal; double keys are number literals in the
// shortest form that reads back (as C++'s std::to_chars prints them), nan,
// -nan, inf, -inf, -0; string keys and values are double-quoted with the
// escapes \" \\ and \xHH (a value of a string map is its decimal number
// quoted, the map holding uint64).

import (
	"math"
	"math/big"
	"unsafe"

	"strconv"
	"strings"
	"tophash/go-recorder/mapclear"
	"tophash/gomap"
)

// keyKind is what the recorder needs to know of a key type K.
type keyKind[K comparable] struct {
	parse  func(string) (K, bool)
	format func(K) string
	clear  func(map[K]uint64)
}

var u64Keys = keyKind[uint64]{parse: parseU64, format: func(k uint64) string { return strconv.FormatUint(k, 10) },
	clear: clearMapU64}
var doubleKeys = keyKind[float64]{parse: parseDouble, format: formatDouble, clear: clearMapDouble}
var stringKeys = keyKind[string]{parse: parseQuoted, format: quote, clear: clearMapString}

// validKey reports whether tok is a key literal of the key type named
// (the word of the `keys` line).
func validKey(keys, tok string) bool {
	switch keys {
	case "string":
		_, ok := parseQuoted(tok)
		return ok
	case "double":
		_, ok := parseDouble(tok)
		return ok
	}
	_, ok := parseU64(tok)
	return ok
}

// parseValue reads a value literal: decimal, quoted for string maps.
func parseValue(keys, tok string) (uint64, bool) {
	if keys == "string" {
		s, ok := parseQuoted(tok)
		if !ok {
			return 0, false
		}
		tok = s
	}
	return parseU64(tok)
}

// formatValue writes a value as a trace of that key type holds it.
func formatValue(keys string, v uint64) string {
	if keys == "string" {
		return `"` + strconv.FormatUint(v, 10) + `"`
	}
	return strconv.FormatUint(v, 10)
}

func parseU64(tok string) (uint64, bool) {
	if tok == "" || tok[0] < '0' || tok[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(tok, 10, 64)
	return v, err == nil
}

// parseDouble reads nan, -nan, inf, -inf or a decimal number literal.
func parseDouble(tok string) (float64, bool) {
	switch tok {
	case "nan":
		return math.NaN(), true
	case "-nan":
		return math.Copysign(math.NaN(), -1), true
	case "inf":
		return math.Inf(1), true
	case "-inf":
		return math.Inf(-1), true
	}
	if tok == "" || strings.Trim(tok, "0123456789.eE+-") != "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(tok, 64)
	return f, err == nil
}

// formatDouble prints f as std::to_chars(double) does: the shortest digits
// that read back, in fixed or scientific notation, whichever is shorter
// (fixed on a tie).
func formatDouble(f float64) string {
	switch {
	case f != f:
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	fixed := strconv.FormatFloat(f, 'f', -1, 64)
	if math.Abs(f) >= 1<<53 {
		// an integer past the mantissa: to_chars prints its exact
		// digits where Go pads the shortest digits with zeros
		fixed = new(big.Float).SetFloat64(f).Text('f', 0)
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	if len(sci) < len(fixed) {
		return sci
	}
	return fixed
}

// parseQuoted reads a whole-token string literal.
func parseQuoted(tok string) (string, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(tok)-1; i++ {
		c := tok[i]
		switch {
		case c == '"':
			return "", false
		case c != '\\':
			b.WriteByte(c)
		case i+1 < len(tok)-1 && (tok[i+1] == '"' || tok[i+1] == '\\'):
			b.WriteByte(tok[i+1])
			i++
		case tok[i+1] == 'x' && i+3 <= len(tok)-2:
			v, err := strconv.ParseUint(tok[i+2:i+4], 16, 8)
			if err != nil {
				return "", false
			}
			b.WriteByte(byte(v))
			i += 3
		default:
			return "", false
		}
	}
	return b.String(), true
}

// quote writes s as tophash::format_key does.
func quote(s string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c <= 0x20 || c >= 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// The compiler turns exactly these loops into runtime.mapclear (one
// function per map type: a generic one is not guaranteed to be). For
// float64 keys it does not (see package mapclear).

//go:noinline
func clearMapU64(m map[uint64]uint64) {
	for k := range m {
		delete(m, k)
	}
}

func clearMapDouble(m map[float64]uint64) {
	mapclear.Clear(unsafe.Pointer(gomap.MapTypeOf[float64]()), unsafe.Pointer(gomap.Header(m)))
}

//go:noinline
func clearMapString(m map[string]uint64) {
	for k := range m {
		delete(m, k)
	}
}
