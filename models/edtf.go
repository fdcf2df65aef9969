package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Precision says how much of a date the source actually gives.
type Precision string

// The precisions, finest first.
const (
	PrecisionDay    Precision = "day"
	PrecisionMonth  Precision = "month"
	PrecisionYear   Precision = "year"
	PrecisionDecade Precision = "decade"
)

var precisionRank = map[Precision]int{PrecisionDay: 0, PrecisionMonth: 1, PrecisionYear: 2, PrecisionDecade: 3}

// Span is what an EDTF string says about when something happened: the
// earliest day it may have started, the latest day it may have ended, how
// precise the source is and whether it hedges ("early 2020", "late May").
type Span struct {
	Start       Date
	End         Date
	Precision   Precision
	Approximate bool
	EDTF        string
}

// point is one side of an EDTF interval.
type point struct {
	start, end  Date
	precision   Precision
	approximate bool // "~" or "%": the source hedges the date
	uncertain   bool // "?" or "%": the editors inferred it
}

// ParseEDTF parses the subset of EDTF (ISO 8601-2, levels 0 and 1) used for
// events: "2002", "2019-10", "2020-05-26", decades "199X", each optionally
// qualified with "~" (approximate), "?" (uncertain) or "%" (both), and
// closed intervals "A/B" of those. Uncertain dates ("?", a date the
// editors inferred rather than read) count as approximate too, but display
// differently: "2020?" rather than "c. 2020".
func ParseEDTF(s string) (Span, error) {
	if s == "" {
		return Span{}, fmt.Errorf("empty EDTF date")
	}
	parts := strings.Split(s, "/")
	if len(parts) > 2 {
		return Span{}, fmt.Errorf("%q: an interval has exactly one '/'", s)
	}
	first, err := parsePoint(parts[0])
	if err != nil {
		return Span{}, fmt.Errorf("%q: %w", s, err)
	}
	span := Span{Start: first.start, End: first.end, Precision: first.precision,
		Approximate: first.approximate || first.uncertain, EDTF: s}
	if len(parts) == 1 {
		return span, nil
	}
	last, err := parsePoint(parts[1])
	if err != nil {
		return Span{}, fmt.Errorf("%q: %w", s, err)
	}
	if last.end.Before(first.start) {
		return Span{}, fmt.Errorf("%q: the interval ends before it starts", s)
	}
	span.End = last.end
	span.Approximate = span.Approximate || last.approximate || last.uncertain
	if precisionRank[last.precision] > precisionRank[first.precision] {
		span.Precision = last.precision
	}
	return span, nil
}

func parsePoint(s string) (point, error) {
	var p point
	switch {
	case s == "" || s == "..":
		return p, fmt.Errorf("open or unknown interval ends are not supported")
	case strings.HasSuffix(s, "~"):
		p.approximate = true
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "?"):
		p.uncertain = true
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "%"):
		p.approximate, p.uncertain = true, true
		s = s[:len(s)-1]
	}
	if len(s) == 4 && strings.HasSuffix(s, "X") {
		y, err := parseDigits(s[:3], "decade")
		if err != nil {
			return p, err
		}
		p.start = Date{Year: y * 10, Month: time.January, Day: 1}
		p.end = Date{Year: y*10 + 9, Month: time.December, Day: 31}
		p.precision = PrecisionDecade
		return p, nil
	}
	start, end, precision, err := ParsePartialDate(s)
	if err != nil {
		return p, err
	}
	p.start, p.end, p.precision = start, end, precision
	return p, nil
}

// ParsePartialDate parses "YYYY", "YYYY-MM" or "YYYY-MM-DD" and returns the
// first and last day it covers, with its precision.
func ParsePartialDate(s string) (first, last Date, precision Precision, err error) {
	switch len(s) {
	case 4:
		y, err := parseDigits(s, "year")
		if err != nil {
			return first, last, "", err
		}
		return Date{y, time.January, 1}, Date{y, time.December, 31}, PrecisionYear, nil
	case 7:
		if s[4] != '-' {
			break
		}
		y, err := parseDigits(s[:4], "year")
		if err != nil {
			return first, last, "", err
		}
		m, err := parseDigits(s[5:], "month")
		if err != nil {
			return first, last, "", err
		}
		if m < 1 || m > 12 {
			return first, last, "", fmt.Errorf("month %02d is not between 01 and 12", m)
		}
		month := time.Month(m)
		return Date{y, month, 1}, Date{y, month, lastDayOfMonth(y, month)}, PrecisionMonth, nil
	case 10:
		d, err := ParseDate(s)
		if err != nil {
			return first, last, "", err
		}
		return d, d, PrecisionDay, nil
	}
	return first, last, "", fmt.Errorf("%q is not of the form YYYY, YYYY-MM or YYYY-MM-DD", s)
}

func parseDigits(s, what string) (int, error) {
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a valid %s", s, what)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a valid %s", s, what)
	}
	if what == "year" && n == 0 {
		return 0, fmt.Errorf("year 0000 is not supported")
	}
	return n, nil
}

// Display renders a span the way a reader says it: "26 May 2020",
// "May 2020", "2002", "1990s", "8–29 October 2019", "2016–2020",
// with "c." before a hedged date and "?" after an inferred one.
func (s Span) Display() string {
	first, err1 := parsePoint(strings.Split(s.EDTF, "/")[0])
	if err1 != nil {
		return s.EDTF
	}
	if !strings.Contains(s.EDTF, "/") {
		return displayPoint(first)
	}
	last, err := parsePoint(strings.Split(s.EDTF, "/")[1])
	if err != nil {
		return s.EDTF
	}
	exact := !first.approximate && !first.uncertain && !last.approximate && !last.uncertain
	if exact && first.precision == last.precision {
		a, b := first.start, last.end
		switch {
		case first.precision == PrecisionDay && a.Year == b.Year && a.Month == b.Month:
			return fmt.Sprintf("%d–%d %s %d", a.Day, b.Day, a.Month, a.Year)
		case first.precision == PrecisionDay && a.Year == b.Year:
			return fmt.Sprintf("%d %s – %d %s %d", a.Day, a.Month, b.Day, b.Month, a.Year)
		case first.precision == PrecisionMonth && a.Year == b.Year:
			return fmt.Sprintf("%s–%s %d", a.Month, b.Month, a.Year)
		case first.precision == PrecisionYear || first.precision == PrecisionDecade:
			return displayPoint(first) + "–" + displayPoint(last)
		}
	}
	return displayPoint(first) + " – " + displayPoint(last)
}

func displayPoint(p point) string {
	var s string
	switch p.precision {
	case PrecisionDay:
		s = fmt.Sprintf("%d %s %d", p.start.Day, p.start.Month, p.start.Year)
	case PrecisionMonth:
		s = fmt.Sprintf("%s %d", p.start.Month, p.start.Year)
	case PrecisionYear:
		s = strconv.Itoa(p.start.Year)
	case PrecisionDecade:
		s = strconv.Itoa(p.start.Year) + "s"
	}
	if p.approximate {
		s = "c. " + s
	}
	if p.uncertain {
		s += "?"
	}
	return s
}

// DateParts is a date with only the parts its precision supports: Month
// and Day are zero when unknown. A decade is given by its first year.
type DateParts struct {
	Year, Month, Day int
}

// Points returns the parts of the span's start and, for an interval, of its
// end (ok is false for a single date): "2019-10-08/2019-10-29" gives
// {2019 10 8} and {2019 10 29}, "2002" gives {2002 0 0}.
func (s Span) Points() (start DateParts, end DateParts, interval bool) {
	parts := strings.Split(s.EDTF, "/")
	toParts := func(raw string) DateParts {
		p, err := parsePoint(raw)
		if err != nil {
			return DateParts{Year: s.Start.Year}
		}
		d := DateParts{Year: p.start.Year}
		switch p.precision {
		case PrecisionDay:
			d.Month, d.Day = int(p.start.Month), p.start.Day
		case PrecisionMonth:
			d.Month = int(p.start.Month)
		}
		return d
	}
	start = toParts(parts[0])
	if len(parts) == 2 {
		end = toParts(parts[1])
		if p, err := parsePoint(parts[1]); err == nil && p.precision == PrecisionDecade {
			end.Year = p.end.Year // the last year of the decade
		}
		return start, end, true
	}
	return start, DateParts{}, false
}
