package api

import (
	"bufio"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// Export headers. X-Total-Count is the number of rows the export will
// write, counted in the same snapshot as the rows, and the body is chunked
// and ends with the terminating chunk only when every row is out: a client
// that got fewer rows than X-Total-Count, or a stream cut without its last
// chunk, has a truncated download. A client that sends "TE: trailers"
// (RFC 9110, section 10.1.4) also gets the X-Rows-Written trailer; others
// do not, since proxies that cannot forward trailers (Node's http module,
// behind Stoplight Prism for one) fail on them.
const (
	headerTotalCount  = "X-Total-Count"
	trailerRowsWriter = "X-Rows-Written"
)

// wantsTrailers reports whether the client said, with TE, that it accepts
// trailer fields.
func wantsTrailers(r *http.Request) bool {
	for _, v := range r.Header.Values("TE") {
		for _, token := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(token, ";")
			if strings.EqualFold(strings.TrimSpace(name), "trailers") {
				return true
			}
		}
	}
	return false
}

// csvHeader lists the CSV columns. List fields are joined with "; ".
var csvHeader = []string{"id", "timeline", "title", "summary", "start_date", "end_date", "date_precision",
	"approximate", "display_date", "edtf", "type", "status", "actors", "actor_ids", "places", "place_ids",
	"tags", "quotes", "source_ids", "updated_at"}

// errHeadOnly stops an export after its first batch when the request is
// HEAD.
var errHeadOnly = errors.New("HEAD: headers only")

// exporter writes events in one streamed format.
type exporter interface {
	begin() error
	write(e models.Event) error
	end() error
}

// errExportsBusy answers an export when every export slot is taken.
func errExportsBusy(slots int) *Problem {
	return &Problem{Type: problemBase + "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
		Detail: fmt.Sprintf("%d exports are already running, as many as this server runs at once. "+
			"Retry later, or page through the JSON list.", slots)}
}

// export streams every event matching f in the format, in batches. An
// export holds a database connection (and its snapshot) for as long as
// its client takes to read it, so at most cap(s.exports) run at once and
// the rest of the pool stays free for every other request: one export
// more is answered 503 at once. A HEAD streams the first batch only (the
// headers, compression included, are decided by then) and stops.
func (s *server) export(c *gin.Context, f models.EventFilter, fm format, values url.Values) error {
	select {
	case s.exports <- struct{}{}:
		defer func() { <-s.exports }()
	default:
		return errExportsBusy(cap(s.exports))
	}
	head := c.Request.Method == http.MethodHead
	trailers := wantsTrailers(c.Request)
	w := bufio.NewWriterSize(c.Writer, 64<<10)
	var ex exporter
	switch fm {
	case formatCSV:
		ex = &csvExporter{w: w, keep: csvColumns(f.Fields), retracted: f.IncludeRetracted}
	case formatNDJSON:
		ex = &ndjsonExporter{w: w, fields: f.Fields}
	default:
		ex = &timelineJSExporter{w: w, title: s.timelineTitle(c, f)}
	}
	rows, started := 0, false
	batch := models.ExportBatch
	if head {
		batch = models.StreamBatch // one small batch decides the headers
	}
	err := s.store.StreamEvents(c.Request.Context(), f, batch, func(total int) error {
		h := c.Writer.Header()
		switch fm {
		case formatCSV:
			h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
			h.Set("Content-Disposition", `attachment; filename="`+exportFilename(values, "csv")+`"`)
		case formatNDJSON:
			h.Set("Content-Type", "application/x-ndjson")
			h.Set("Content-Disposition", `attachment; filename="`+exportFilename(values, "ndjson")+`"`)
		default:
			h.Set("Content-Type", "application/json; charset=utf-8")
		}
		h.Set(headerTotalCount, strconv.Itoa(total))
		if trailers {
			h.Set("Trailer", trailerRowsWriter)
		}
		c.Status(http.StatusOK)
		started = true
		return ex.begin()
	}, func(batch []models.Event) error {
		// The rows may come after a long wait (an export read in one
		// statement sorts before its first row): the deadline runs from
		// now, for this chunk's writes.
		_ = s.extendWriteDeadline(c)
		for _, e := range batch {
			if err := ex.write(e); err != nil {
				return err
			}
			rows++
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if !head {
			s.countRowsExported(string(fm), len(batch))
		}
		_ = s.extendWriteDeadline(c) // not every ResponseWriter has deadlines
		if err := http.NewResponseController(c.Writer).Flush(); err != nil {
			return err
		}
		if head {
			return errHeadOnly // the headers are decided; net/http drops the body
		}
		return nil
	})
	if err == nil {
		if err = ex.end(); err == nil {
			err = w.Flush()
		}
	}
	if !head {
		c.Set("rows", rows) // a HEAD sends none
	}
	switch {
	case errors.Is(err, errHeadOnly):
		c.Writer.WriteHeaderNow()
		return nil
	case err == nil:
		if trailers {
			c.Writer.Header().Set(trailerRowsWriter, strconv.Itoa(rows))
		}
		return nil
	case !started || !c.Writer.Written():
		for _, h := range []string{"Content-Disposition", headerTotalCount, "Trailer"} {
			c.Writer.Header().Del(h)
		}
		return err
	}
	// Part of the body is out: the only honest signal left is to break the
	// connection, so the client sees an error rather than a short file.
	s.log.ErrorContext(c.Request.Context(), "export failed mid-stream", "request_id", c.GetString(requestIDKey),
		"rows", rows, "error", err)
	panic(http.ErrAbortHandler)
}

// timelineTitle names the TimelineJS document after the one timeline the
// filter selects, if it selects exactly one.
func (s *server) timelineTitle(c *gin.Context, f models.EventFilter) timelineJSText {
	if len(f.Timelines) == 1 {
		if t, err := s.store.FindTimelineByID(c.Request.Context(), f.Timelines[0]); err == nil {
			return timelineJSText{Headline: html.EscapeString(t.Title), Text: html.EscapeString(t.Description)}
		}
	}
	return timelineJSText{Headline: "Events", Text: ""}
}

var filenameUnsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// exportFilename names a download after its query, e.g.
// "events_type-exercise_year-2019.csv".
func exportFilename(values url.Values, ext string) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		if k != "format" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	name := "events"
	for _, k := range keys {
		v := strings.Trim(filenameUnsafe.ReplaceAllString(strings.ToLower(strings.Join(values[k], "-")), "-"), "-")
		name += "_" + filenameUnsafe.ReplaceAllString(strings.ToLower(k), "") + "-" + v
	}
	if len(name) > 120 {
		name = name[:120]
	}
	return name + "." + ext
}

// csvExporter writes RFC 4180 CSV: a header row, CRLF line ends, UTF-8.
// keep, when set, lists the columns of a sparse fieldset (see csvColumns).
// With include=retracted the rows have one more column, retracted_at,
// empty but for the tombstones of retracted events. Each row's cells are
// appended to cells (ends[i] is where cell i ends), then written quoted as
// encoding/csv would (see appendCSVCell).
type csvExporter struct {
	w         *bufio.Writer
	keep      []int
	retracted bool
	cells     []byte
	ends      []int
	line      []byte
}

func (x *csvExporter) begin() error {
	x.ends = make([]int, len(csvHeader))
	header := project(csvHeader, x.keep)
	if x.retracted {
		header = append(slices.Clip(header), "retracted_at")
	}
	line := x.line[:0]
	for i, h := range header {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendCSVCell(line, []byte(h))
	}
	x.line = append(line, '\r', '\n')
	_, err := x.w.Write(x.line)
	return err
}

// cell ends the cell being appended to x.cells as cell i.
func (x *csvExporter) cell(i int) { x.ends[i] = len(x.cells) }

// joined appends the n strings at(0..n-1) to x.cells, separated by "; ".
func (x *csvExporter) joined(n int, at func(int) string) {
	for j := 0; j < n; j++ {
		if j > 0 {
			x.cells = append(x.cells, "; "...)
		}
		x.cells = append(x.cells, at(j)...)
	}
}

func (x *csvExporter) write(e models.Event) error {
	if !e.RetractedAt.IsZero() {
		return x.writeTombstone(e)
	}
	b := x.cells[:0]
	b = append(b, e.ID...)
	x.ends[0] = len(b)
	b = append(b, e.Timeline...)
	x.ends[1] = len(b)
	b = append(b, e.Title...)
	x.ends[2] = len(b)
	b = append(b, e.Summary...)
	x.ends[3] = len(b)
	b = appendDate(b, e.Span.Start)
	x.ends[4] = len(b)
	b = appendDate(b, e.Span.End)
	x.ends[5] = len(b)
	b = append(b, e.Span.Precision...)
	x.ends[6] = len(b)
	b = strconv.AppendBool(b, e.Span.Approximate)
	x.ends[7] = len(b)
	b = append(b, e.DisplayDate...)
	x.ends[8] = len(b)
	b = append(b, e.Span.EDTF...)
	x.ends[9] = len(b)
	b = append(b, e.Type...)
	x.ends[10] = len(b)
	b = append(b, e.Status...)
	x.ends[11] = len(b)
	x.cells = b
	x.joined(len(e.Actors), func(j int) string { return e.Actors[j].Name })
	x.cell(12)
	x.joined(len(e.Actors), func(j int) string { return e.Actors[j].ID })
	x.cell(13)
	x.joined(len(e.Places), func(j int) string { return e.Places[j].Name })
	x.cell(14)
	x.joined(len(e.Places), func(j int) string { return e.Places[j].ID })
	x.cell(15)
	x.joined(len(e.Tags), func(j int) string { return e.Tags[j] })
	x.cell(16)
	x.joined(len(e.Citations), func(j int) string { return e.Citations[j].Quote })
	x.cell(17)
	// Each source once, in the order of its first citation.
	n := 0
	for j, c := range e.Citations {
		if !slices.ContainsFunc(e.Citations[:j], func(o models.Citation) bool { return o.Source.ID == c.Source.ID }) {
			if n > 0 {
				x.cells = append(x.cells, "; "...)
			}
			x.cells = append(x.cells, c.Source.ID...)
			n++
		}
	}
	x.cell(18)
	x.cells = e.UpdatedAt.UTC().AppendFormat(x.cells, time.RFC3339)
	x.cell(19)
	return x.writeRow(x.retracted, nil)
}

// writeRow writes the cells of x.cells (those of x.keep when set), then,
// with extra, one more cell holding last.
func (x *csvExporter) writeRow(extra bool, last []byte) error {
	line := x.line[:0]
	put := func(n, i int) {
		if n > 0 {
			line = append(line, ',')
		}
		from := 0
		if i > 0 {
			from = x.ends[i-1]
		}
		line = appendCSVCell(line, x.cells[from:x.ends[i]])
	}
	if x.keep == nil {
		for i := range x.ends {
			put(i, i)
		}
	} else {
		for n, i := range x.keep {
			put(n, i)
		}
	}
	if extra {
		line = append(line, ',')
		line = appendCSVCell(line, last)
	}
	x.line = append(line, '\r', '\n')
	_, err := x.w.Write(x.line)
	return err
}

// writeTombstone writes the row of a retracted event: its id, timeline
// (where the fieldset keeps them) and retracted_at, every other cell empty.
func (x *csvExporter) writeTombstone(e models.Event) error {
	b := append(append(x.cells[:0], e.ID...), e.Timeline...)
	x.cells = b
	x.ends[0] = len(e.ID)
	for i := 1; i < len(x.ends); i++ {
		x.ends[i] = len(b)
	}
	return x.writeRow(true, e.RetractedAt.UTC().AppendFormat(nil, time.RFC3339Nano))
}

func (x *csvExporter) end() error { return nil }

// ndjsonExporter writes one event per line, in the JSON API's shape, with
// only the fields of a sparse fieldset when one is given.
type ndjsonExporter struct {
	w      *bufio.Writer
	fields models.EventFields
	enc    *eventEncoder
	line   []byte
}

func (x *ndjsonExporter) begin() error { return nil }
func (x *ndjsonExporter) end() error   { return nil }
func (x *ndjsonExporter) write(e models.Event) error {
	if !e.RetractedAt.IsZero() {
		return jsonEncode(x.w, newTombstoneJSON(e))
	}
	if !x.fields.All() {
		return jsonEncode(x.w, newSparseEventJSON(e, x.fields))
	}
	if x.enc == nil {
		x.enc = newEventEncoder()
	}
	x.line = x.enc.appendEvent(x.line[:0], &e) // newEventJSON(e), as jsonEncode writes it
	_, err := x.w.Write(x.line)
	return err
}

// tombstoneJSON is the NDJSON line of a retracted event (include=retracted):
// no content, as in the change feed.
type tombstoneJSON struct {
	ID          string    `json:"id"`
	Timeline    string    `json:"timeline"`
	RetractedAt time.Time `json:"retracted_at"`
}

func newTombstoneJSON(e models.Event) tombstoneJSON {
	return tombstoneJSON{ID: e.ID, Timeline: e.Timeline, RetractedAt: e.RetractedAt.UTC()}
}

// TimelineJS3 document types (Knight Lab's JSON format).
type timelineJSText struct {
	Headline string `json:"headline"`
	Text     string `json:"text"`
}

type timelineJSDate struct {
	Year  int `json:"year"`
	Month int `json:"month,omitempty"`
	Day   int `json:"day,omitempty"`
}

type timelineJSEvent struct {
	UniqueID    string          `json:"unique_id"`
	StartDate   timelineJSDate  `json:"start_date"`
	EndDate     *timelineJSDate `json:"end_date,omitempty"`
	DisplayDate string          `json:"display_date"`
	Text        timelineJSText  `json:"text"`
	Group       string          `json:"group,omitempty"`
}

// timelineJSExporter streams a TimelineJS3 document: only the date parts
// the precision supports are sent, so a year-precision event is
// {"year": 2002}, never a padded 1 January. Events carry no "group":
// TimelineJS gives each group a row of at least 30 px, and 13 event types
// would leave the slides a third of the embed. TimelineJS inserts every
// text field as HTML, so every one (headline, text, display_date) is
// escaped.
type timelineJSExporter struct {
	w     *bufio.Writer
	title timelineJSText
	n     int
}

func (x *timelineJSExporter) begin() error {
	_, err := fmt.Fprintf(x.w, `{"title":{"text":%s},"events":[`, mustJSON(x.title))
	return err
}

func (x *timelineJSExporter) write(e models.Event) error {
	start, end, interval := e.Span.Points()
	ev := timelineJSEvent{UniqueID: e.ID, StartDate: timelineJSDate(start), DisplayDate: html.EscapeString(e.DisplayDate),
		Text: timelineJSText{Headline: html.EscapeString(e.Title), Text: timelineJSBody(e)}}
	if interval {
		d := timelineJSDate(end)
		ev.EndDate = &d
	}
	if x.n > 0 {
		if err := x.w.WriteByte(','); err != nil {
			return err
		}
	}
	x.n++
	_, err := x.w.WriteString(mustJSON(ev))
	return err
}

func (x *timelineJSExporter) end() error {
	_, err := x.w.WriteString("]}\n")
	return err
}

// timelineJSBody is the event's HTML text: the summary, then each quote
// with its source.
func timelineJSBody(e models.Event) string {
	var b strings.Builder
	b.WriteString("<p>" + html.EscapeString(e.Summary) + "</p>")
	for _, c := range e.Citations {
		b.WriteString("<blockquote>" + html.EscapeString(c.Quote) + "</blockquote><p>— ")
		b.WriteString(html.EscapeString(strings.TrimSpace(c.Source.Author + ", " + c.Source.Title)))
		if !c.Source.Published.IsZero() {
			b.WriteString(" (" + c.Source.Published.String() + ")")
		}
		b.WriteString("</p>")
	}
	return b.String()
}

func mustJSON(v any) string {
	var b strings.Builder
	if err := jsonEncode(&b, v); err != nil {
		panic(errors.New("mustJSON: " + err.Error())) // only plain structs reach here
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// includeRetracted reads include, which only exports take: include=retracted
// adds the tombstones of retracted events to a CSV or NDJSON export, so a
// mirror can reconcile. A JSON page or a TimelineJS document has no place
// for them (a keyset page could not hold events without a date), so there
// it is an error rather than ignored.
func (p *params) includeRetracted(fm format) bool {
	v, ok := p.single("include")
	if !ok {
		return false
	}
	if v != "retracted" {
		p.errs.Add("include", "%q is not one of retracted", v)
		return false
	}
	if fm != formatCSV && fm != formatNDJSON {
		p.errs.Add("include", "retracted applies to the csv and ndjson exports, not to %s", fm)
		return false
	}
	return true
}
