package api

import (
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/csto-timeline/timeline/models"
)

// An export writes a million rows, so its encoders append bytes to one
// reused buffer instead of building a []string per CSV row or a struct
// per NDJSON line for encoding/csv and encoding/json, whose reflection
// and allocations cost more than the database read. Their output is byte
// for byte what those packages write (export_encode_internal_test.go
// compares them): appendCSVCell is csv.Writer's quoting with UseCRLF,
// appendJSONString is encoding/json's string with SetEscapeHTML(false).

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it without HTML escaping: ", \ and control characters, invalid
// UTF-8 as U+FFFD, and U+2028 and U+2029.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJSONStrings appends list as a JSON array of strings ([] when empty).
func appendJSONStrings(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

// appendJSONOptional appends s as a JSON string, or null when it is empty
// (see optional).
func appendJSONOptional(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, s)
}

// appendDate appends d as "YYYY-MM-DD" (Date.String), nothing for the
// zero date.
func appendDate(dst []byte, d models.Date) []byte {
	if d.IsZero() {
		return dst
	}
	if d.Year < 0 || d.Year > 9999 {
		return append(dst, d.String()...)
	}
	y, m := d.Year, int(d.Month)
	return append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d.Day/10), byte('0'+d.Day%10))
}

// appendJSONDate appends d as a JSON string.
func appendJSONDate(dst []byte, d models.Date) []byte {
	dst = append(dst, '"')
	return append(appendDate(dst, d), '"')
}

// eventEncoder appends the NDJSON line of a whole event, the bytes
// jsonEncode writes for newEventJSON(e). The actors, places and sources
// of an export are few and each is cited by many events, so the JSON of
// each is kept by id once written: an export reads one snapshot, in which
// an id names one content.
type eventEncoder struct {
	actors, places, sources map[string][]byte
}

// maxEncoderMemo bounds each memo of an eventEncoder; past it the memo
// starts afresh.
const maxEncoderMemo = 50_000

func newEventEncoder() *eventEncoder {
	return &eventEncoder{actors: map[string][]byte{}, places: map[string][]byte{}, sources: map[string][]byte{}}
}

// memo returns the JSON m holds for id, or writes it with enc and keeps it.
func memo(m map[string][]byte, id string, enc func([]byte) []byte) []byte {
	if b, ok := m[id]; ok {
		return b
	}
	if len(m) >= maxEncoderMemo {
		clear(m)
	}
	b := enc(nil)
	m[id] = b
	return b
}

func (x *eventEncoder) appendEvent(dst []byte, e *models.Event) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, e.ID)
	dst = append(dst, `,"timeline":`...)
	dst = appendJSONString(dst, e.Timeline)
	dst = append(dst, `,"title":`...)
	dst = appendJSONString(dst, e.Title)
	dst = append(dst, `,"summary":`...)
	dst = appendJSONString(dst, e.Summary)
	dst = append(dst, `,"start_date":`...)
	dst = appendJSONDate(dst, e.Span.Start)
	dst = append(dst, `,"end_date":`...)
	dst = appendJSONDate(dst, e.Span.End)
	dst = append(dst, `,"date_precision":`...)
	dst = appendJSONString(dst, string(e.Span.Precision))
	dst = append(dst, `,"approximate":`...)
	dst = strconv.AppendBool(dst, e.Span.Approximate)
	dst = append(dst, `,"display_date":`...)
	dst = appendJSONString(dst, e.DisplayDate)
	dst = append(dst, `,"edtf":`...)
	dst = appendJSONString(dst, e.Span.EDTF)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, e.Type)
	dst = append(dst, `,"status":`...)
	dst = appendJSONString(dst, e.Status)
	dst = append(dst, `,"actors":[`...)
	for i := range e.Actors {
		a := &e.Actors[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		// The actor's JSON up to its role, which is the link's.
		dst = append(dst, memo(x.actors, a.ID, func(b []byte) []byte {
			b = append(b, `{"id":`...)
			b = appendJSONString(b, a.ID)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, a.Name)
			b = append(b, `,"kind":`...)
			b = appendJSONString(b, a.Kind)
			b = append(b, `,"aliases":`...)
			b = appendJSONStrings(b, a.Aliases)
			return append(b, `,"role":`...)
		})...)
		dst = appendJSONString(dst, a.Role)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"places":[`...)
	for i := range e.Places {
		p := &e.Places[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, memo(x.places, p.ID, func(b []byte) []byte {
			b = append(b, `{"id":`...)
			b = appendJSONString(b, p.ID)
			b = append(b, `,"name":`...)
			b = appendJSONString(b, p.Name)
			b = append(b, `,"kind":`...)
			b = appendJSONString(b, p.Kind)
			b = append(b, `,"country":`...)
			b = appendJSONOptional(b, p.Country)
			return append(b, '}')
		})...)
	}
	dst = append(dst, `],"tags":`...)
	dst = appendJSONStrings(dst, e.Tags)
	dst = append(dst, `,"sources":[`...)
	for i := range e.Citations {
		c := &e.Citations[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		// The source's JSON up to the quote and note, which are the
		// citation's (citationJSON embeds publicationJSON).
		dst = append(dst, memo(x.sources, c.Source.ID, func(b []byte) []byte {
			s := &c.Source
			b = append(b, `{"source_id":`...)
			b = appendJSONString(b, s.ID)
			b = append(b, `,"title":`...)
			b = appendJSONString(b, s.Title)
			b = append(b, `,"author":`...)
			b = appendJSONString(b, s.Author)
			b = append(b, `,"author_affiliations":`...)
			b = appendJSONStrings(b, s.AuthorAffiliations)
			b = append(b, `,"publisher":`...)
			b = appendJSONOptional(b, s.Publisher)
			b = append(b, `,"issue":`...)
			b = appendJSONOptional(b, s.Issue)
			b = append(b, `,"published_date":`...)
			if s.Published.IsZero() {
				b = append(b, "null"...)
			} else {
				b = appendJSONDate(b, s.Published)
			}
			b = append(b, `,"url":`...)
			b = appendJSONOptional(b, s.URL)
			b = append(b, `,"outside_fields":`...)
			b = appendJSONStrings(b, s.OutsideFields)
			return append(b, `,"quote":`...)
		})...)
		dst = appendJSONString(dst, c.Quote)
		dst = append(dst, `,"note":`...)
		dst = appendJSONString(dst, c.Note)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"updated_at":"`...)
	dst = e.UpdatedAt.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, "\"}\n"...)
}

// appendCSVCell appends one CSV cell as csv.Writer (UseCRLF) writes the
// cell csvSafe(s): quoted when it holds a comma, a quote, CR or LF, starts
// with a space, or is `\.`; inside quotes, a quote doubled, CR dropped and
// LF written CRLF.
func appendCSVCell(dst, s []byte) []byte {
	if len(s) > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		dst = append(dst, '\'')
		if !csvNeedsQuotes(s, false) {
			return append(dst, s...)
		}
		dst[len(dst)-1] = '"'
		dst = append(dst, '\'')
		return appendCSVQuoted(dst, s)
	}
	if !csvNeedsQuotes(s, true) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	return appendCSVQuoted(dst, s)
}

// csvNeedsQuotes is csv.Writer's fieldNeedsQuotes; first says whether s
// starts the cell (no prefix before it).
func csvNeedsQuotes(s []byte, first bool) bool {
	if len(s) == 0 {
		return false
	}
	if first && len(s) == 2 && s[0] == '\\' && s[1] == '.' {
		return true
	}
	for _, c := range s {
		if c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	if !first {
		return false // the cell starts with the apostrophe
	}
	r, _ := utf8.DecodeRune(s)
	return unicode.IsSpace(r)
}

// appendCSVQuoted appends the inside of a quoted cell and its closing
// quote.
func appendCSVQuoted(dst, s []byte) []byte {
	for _, c := range s {
		switch c {
		case '"':
			dst = append(dst, '"', '"')
		case '\r':
		case '\n':
			dst = append(dst, '\r', '\n')
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
