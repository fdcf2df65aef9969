package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// Bulk import: POST /v1/timelines/{id}/import takes a whole timeline as
// NDJSON or CSV (the service's exports), TimelineJS JSON or the TimelineJS
// Google Sheets template as CSV, and writes it in one transaction.

// ImportStore is what the import needs from storage.
type ImportStore interface {
	ImportEvents(ctx context.Context, opts models.ImportOptions, r models.ImportReader) (models.ImportReport, error)
}

var _ ImportStore = (*models.Store)(nil)

// DefaultImportBodyLimit is the import's body limit when none is configured.
const DefaultImportBodyLimit = 64 << 20

// importTimeout is how long an import may take to read and write.
const importTimeout = 30 * time.Minute

type importReportJSON struct {
	Timeline  string `json:"timeline"`
	Format    string `json:"format"`
	Mode      string `json:"mode"`
	DryRun    bool   `json:"dry_run"`
	Rows      int    `json:"rows"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Retracted int    `json:"retracted"`
	// IDs lists the ids created, updated and retracted, each list cut at
	// models.MaxReportIDs (then IDsTruncated is true).
	IDs          importIDsJSON `json:"ids"`
	IDsTruncated bool          `json:"ids_truncated"`
}

type importIDsJSON struct {
	Created   []string `json:"created"`
	Updated   []string `json:"updated"`
	Retracted []string `json:"retracted"`
}

// importFormatOf picks the format: the format parameter, else the
// Content-Type.
func importFormatOf(c *gin.Context, p *params) (string, error) {
	if v, ok := p.single("format"); ok {
		for _, f := range models.ImportFormats {
			if v == f {
				return v, nil
			}
		}
		p.errs.Add("format", "%q is not one of %s", v, strings.Join(models.ImportFormats, ", "))
		return "", nil
	}
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch mt {
	case "application/x-ndjson", "application/ndjson":
		return models.ImportNDJSON, nil
	case "text/csv":
		return models.ImportCSV, nil
	case "application/json":
		return models.ImportTimelineJS, nil
	}
	return "", models.Errorf(models.ErrUnsupportedMediaType, "an import is application/x-ndjson, text/csv (the service's "+
		"export or the TimelineJS Google Sheets template) or application/json (TimelineJS), not %q", c.GetHeader("Content-Type"))
}

// watchedBody notes whether reading the body hit the body limit, whatever
// the parser then makes of the error.
type watchedBody struct {
	r        io.Reader
	tooLarge *http.MaxBytesError
}

func (w *watchedBody) Read(b []byte) (int, error) {
	n, err := w.r.Read(b)
	var e *http.MaxBytesError
	if errors.As(err, &e) {
		w.tooLarge = e
	}
	return n, err
}

// importTimeline serves POST /v1/timelines/{id}/import.
func (s *server) importTimeline(c *gin.Context) error {
	id := c.Param("id")
	key := writeKey(c, "timeline.import", id)
	if err := key.Allows(models.ScopeEventsWrite, id); err != nil {
		return err
	}
	is, ok := s.store.(ImportStore)
	if !ok {
		return models.ErrUnavailable
	}
	p := newParams(c.Request.URL.Query(), "format", "mode", "dry_run")
	format, err := importFormatOf(c, p)
	if err != nil {
		return err
	}
	opts := models.ImportOptions{Timeline: id, Mode: models.ImportMerge,
		Meta: writeMeta(key, models.ScopeEventsWrite, "import")}
	if v, ok := p.single("mode"); ok {
		if v != models.ImportMerge && v != models.ImportReplace {
			p.errs.Add("mode", "%q is not one of merge, replace", v)
		}
		opts.Mode = v
	}
	if v, ok := p.single("dry_run"); ok {
		if v != "true" && v != "false" {
			p.errs.Add("dry_run", "%q is not true or false", v)
		}
		opts.DryRun = v == "true"
	}
	if !models.ValidSlug(id) {
		p.errs.Add("id", "%q is not a valid timeline id", id)
	}
	if err := p.err(); err != nil {
		return err
	}
	// An import reads its body while it writes: it may take longer than
	// the server's read and write timeouts allow an ordinary request.
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Now().Add(importTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(importTimeout))
	body := &watchedBody{r: c.Request.Body}
	s.respondInTx(c, func(_ context.Context, _ recordReader, result any) (models.IdempotentResponse, error) {
		return jsonAnswer(http.StatusOK, NewImportReport(id, format, opts, result.(models.ImportReport)), nil)
	})
	rep, err := RunImport(c.Request.Context(), is, format, body, opts)
	if body.tooLarge != nil {
		c.Header("Connection", "close")
		return models.Errorf(models.ErrTooLarge, "the import is larger than the %d bytes an import takes", body.tooLarge.Limit)
	}
	if err != nil {
		return err
	}
	_ = s.extendWriteDeadline(c)
	r, err := jsonAnswer(http.StatusOK, NewImportReport(id, format, opts, rep), nil)
	return sendAnswer(c, r, err)
}

// RunImport parses r as format and imports it: the API's import and the
// command's.
func RunImport(ctx context.Context, is ImportStore, format string, r io.Reader, opts models.ImportOptions) (models.ImportReport, error) {
	reader, err := models.NewImportReader(format, r)
	if err != nil {
		return models.ImportReport{}, err
	}
	return is.ImportEvents(ctx, opts, reader)
}

// NewImportReport is the JSON report of an import, as the API answers it.
func NewImportReport(id, format string, opts models.ImportOptions, rep models.ImportReport) any {
	return importReportJSON{Timeline: id, Format: format, Mode: opts.Mode, DryRun: opts.DryRun, Rows: rep.Rows,
		Created: rep.Created, Updated: rep.Updated, Unchanged: rep.Unchanged, Retracted: rep.Retracted,
		IDs:          importIDsJSON{Created: rep.CreatedIDs, Updated: rep.UpdatedIDs, Retracted: rep.RetractedIDs},
		IDsTruncated: rep.IDsTruncated}
}
