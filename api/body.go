package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// Media types of request bodies.
const (
	mediaJSON       = "application/json"
	mediaMergePatch = "application/merge-patch+json"
)

// readObject reads a request body of media type want as one JSON object.
// Errors: ErrUnsupportedMediaType for another Content-Type, ErrTooLarge past
// the route's body limit, ErrMalformed for anything but one JSON object.
func readObject(c *gin.Context, want string) (map[string]any, error) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != want {
		if want == mediaMergePatch {
			c.Header("Accept-Patch", mediaMergePatch)
		}
		return nil, models.Errorf(models.ErrUnsupportedMediaType, "this operation takes %s bodies, not %q", want,
			c.GetHeader("Content-Type"))
	}
	raw, err := io.ReadAll(c.Request.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		c.Header("Connection", "close")
		return nil, models.Errorf(models.ErrTooLarge, "the request body is larger than the %d bytes this operation takes", tooLarge.Limit)
	}
	if err != nil {
		return nil, err
	}
	c.Set(rawBodyKey, raw)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, models.Errorf(models.ErrMalformed, "the request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, models.Errorf(models.ErrMalformed, "the request body has data after its JSON document")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, models.Errorf(models.ErrMalformed, "the request body must be a JSON object")
	}
	return m, nil
}

// rawBodyKey holds the request body as read, for the idempotency record.
const rawBodyKey = "raw_body"

// fields reads the members of one JSON object of a request body, records
// each wrong type, missing member and unknown member in v by its JSON
// Pointer, so that a client learns every mistake at once.
type fields struct {
	m    map[string]any
	at   string
	v    *models.ValidationError
	read map[string]bool
}

func newFields(m map[string]any, at string, v *models.ValidationError) *fields {
	return &fields{m: m, at: at, v: v, read: map[string]bool{}}
}

// escapePointer escapes a member name for a JSON Pointer (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

func (f *fields) ptr(name string) string { return f.at + "/" + escapePointer(name) }

// has reports whether the object has member name (null counts as absent).
func (f *fields) has(name string) bool {
	f.read[name] = true
	return f.m[name] != nil
}

// str reads a string member; absent or null reads "".
func (f *fields) str(name string) string {
	f.read[name] = true
	switch x := f.m[name].(type) {
	case nil:
		return ""
	case string:
		return x
	}
	f.v.Add(f.ptr(name), "must be a string")
	return ""
}

// required reads a string member that must be present.
func (f *fields) required(name string) string {
	if !f.has(name) {
		f.v.Add(f.ptr(name), "is required")
		return ""
	}
	return f.str(name)
}

// strs reads an array of strings; absent or null reads nil.
func (f *fields) strs(name string) []string {
	f.read[name] = true
	raw, ok := f.m[name].([]any)
	if f.m[name] != nil && !ok {
		f.v.Add(f.ptr(name), "must be an array of strings")
		return nil
	}
	out := []string{}
	for i, x := range raw {
		s, ok := x.(string)
		if !ok {
			f.v.Add(f.ptr(name)+"/"+itoa(i), "must be a string")
		}
		out = append(out, s)
	}
	return out
}

// objects calls fn with each object of an array member.
func (f *fields) objects(name string, fn func(g *fields)) {
	f.read[name] = true
	raw, ok := f.m[name].([]any)
	if f.m[name] != nil && !ok {
		f.v.Add(f.ptr(name), "must be an array of objects")
		return
	}
	for i, x := range raw {
		m, ok := x.(map[string]any)
		at := f.ptr(name) + "/" + itoa(i)
		if !ok {
			f.v.Add(at, "must be an object")
			m = map[string]any{}
		}
		g := newFields(m, at, f.v)
		fn(g)
		g.done()
	}
}

// done records every member that was not read as unknown: a misspelt
// field is an error, not silently dropped.
func (f *fields) done() {
	var unknown []string
	for k := range f.m {
		if !f.read[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		f.v.Add(f.ptr(k), "unknown field")
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// mergePatch applies an RFC 7396 JSON Merge Patch to target.
func mergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
		} else {
			tm[k] = mergePatch(tm[k], v)
		}
	}
	return tm
}

// toObject turns a document into the generic form a merge patch applies to.
func toObject(doc any) (map[string]any, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	return m, dec.Decode(&m)
}
