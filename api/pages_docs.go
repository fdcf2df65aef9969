package api

import (
	"bytes"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// The API reference at /docs is rendered on the server from openapi.yaml,
// once, when the router is built: no script, no style injected at run
// time (a vendored Redoc or Swagger UI needs inline styles and a megabyte
// of JavaScript), so it keeps the pages' strict CSP, works offline and
// without JavaScript, and can never disagree with the spec it is made of.
// Markdown in descriptions is rendered by goldmark, which drops raw HTML.

// apiDocs is the rendered reference.
type apiDocs struct {
	Title, Version string
	Intro          template.HTML
	Groups         []docGroup
	Schemas        []docSchema
	// Examples are the README's "Try it" commands.
	Examples []docExample
}

type docGroup struct {
	Name        string
	Description template.HTML
	Operations  []docOperation
}

type docOperation struct {
	Anchor, Method, Path, Summary string
	Description                   template.HTML
	Parameters                    []docParameter
	Responses                     []docResponse
	// Try is a link to the operation when it needs no path parameter.
	Try string
}

type docParameter struct {
	Name, In, Type string
	Required       bool
	Description    template.HTML
}

type docResponse struct {
	Status      string
	Description template.HTML
	Media       []string
}

type docSchema struct {
	Name        string
	Description template.HTML
	Properties  []docParameter
}

type docExample struct {
	Comment, Command, Href string
}

// newAPIDocs renders spec (openapi.yaml) and the examples of readme. An
// empty spec gives an empty reference.
func newAPIDocs(spec, readme []byte) (*apiDocs, error) {
	d := &apiDocs{Examples: readmeExamples(readme)}
	if len(spec) == 0 {
		return d, nil
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, err
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	render := func(s string) template.HTML {
		var buf bytes.Buffer
		if err := md.Convert([]byte(s), &buf); err != nil {
			return template.HTML(template.HTMLEscapeString(s))
		}
		return template.HTML(buf.String()) // goldmark escapes text and drops raw HTML
	}
	if doc.Info != nil {
		d.Title, d.Version, d.Intro = doc.Info.Title, doc.Info.Version, render(doc.Info.Description)
	}
	groups := map[string]*docGroup{}
	var order []string
	for _, tag := range doc.Tags {
		groups[tag.Name] = &docGroup{Name: tag.Name, Description: render(tag.Description)}
		order = append(order, tag.Name)
	}
	var paths []string
	if doc.Paths != nil {
		paths = doc.Paths.InMatchingOrder()
	}
	slices.Sort(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			o := docOperation{Anchor: op.OperationID, Method: method, Path: path, Summary: op.Summary,
				Description: render(op.Description)}
			if !strings.Contains(path, "{") && method == "GET" {
				o.Try = path
			}
			for _, ref := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p := ref.Value; p != nil {
					o.Parameters = append(o.Parameters, docParameter{Name: p.Name, In: p.In, Required: p.Required,
						Type: schemaType(p.Schema), Description: render(p.Description)})
				}
			}
			codes := op.Responses.Map()
			statuses := make([]string, 0, len(codes))
			for code := range codes {
				statuses = append(statuses, code)
			}
			slices.Sort(statuses)
			for _, code := range statuses {
				r := codes[code].Value
				if r == nil {
					continue
				}
				resp := docResponse{Status: code}
				if r.Description != nil {
					resp.Description = render(*r.Description)
				}
				for media := range r.Content {
					resp.Media = append(resp.Media, media)
				}
				slices.Sort(resp.Media)
				o.Responses = append(o.Responses, resp)
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if groups[tag] == nil {
				groups[tag] = &docGroup{Name: tag}
				order = append(order, tag)
			}
			groups[tag].Operations = append(groups[tag].Operations, o)
		}
	}
	for _, name := range order {
		if len(groups[name].Operations) > 0 {
			d.Groups = append(d.Groups, *groups[name])
		}
	}
	if doc.Components == nil {
		return d, nil
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		sc := doc.Components.Schemas[name].Value
		if sc == nil {
			continue
		}
		ds := docSchema{Name: name, Description: render(sc.Description)}
		props := make([]string, 0, len(sc.Properties))
		for p := range sc.Properties {
			props = append(props, p)
		}
		slices.Sort(props)
		for _, p := range props {
			ds.Properties = append(ds.Properties, docParameter{Name: p, Type: schemaType(sc.Properties[p]),
				Required: slices.Contains(sc.Required, p), Description: render(sc.Properties[p].Value.Description)})
		}
		d.Schemas = append(d.Schemas, ds)
	}
	return d, nil
}

// schemaType names a schema's type for the tables: its component name
// when it is a reference, else its type, with its enum when it has one.
func schemaType(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	if i := strings.LastIndex(ref.Ref, "/"); ref.Ref != "" && i >= 0 {
		return ref.Ref[i+1:]
	}
	s := ref.Value
	t := strings.Join(s.Type.Slice(), " or ")
	if s.Type.Is("array") && s.Items != nil {
		t = "array of " + schemaType(s.Items)
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, v := range s.Enum {
			if str, ok := v.(string); ok {
				vals = append(vals, str)
			}
		}
		if len(vals) > 0 {
			t += ": " + strings.Join(vals, ", ")
		}
	}
	return t
}

// readmeExamples reads the fenced shell block of the README's "Try it"
// section: each curl command with the comment lines above it, and a link
// to what it fetches when it is a GET of this server.
func readmeExamples(readme []byte) []docExample {
	_, section, ok := strings.Cut(string(readme), "\n## Try it")
	if !ok {
		return nil
	}
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		return nil
	}
	block, _, _ = strings.Cut(block, "```")
	var out []docExample
	var comment []string
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			comment = nil
		case strings.HasPrefix(line, "#"):
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(line, "#")))
		case strings.HasPrefix(line, "curl "):
			out = append(out, docExample{Comment: strings.Join(comment, " "), Command: line, Href: curlHref(line)})
			comment = nil
		}
	}
	return out
}

// curlHref turns a README curl command into the path it fetches.
func curlHref(cmd string) string {
	fields := strings.Fields(cmd)
	var path string
	extra := url.Values{}
	for i, f := range fields {
		f = strings.Trim(f, `'"`)
		if rest, ok := strings.CutPrefix(f, "localhost:8080"); ok {
			path = rest
		}
		if f == "--data-urlencode" && i+1 < len(fields) {
			// The example's value may hold a space: take the rest of the
			// quoted argument.
			arg := strings.Join(fields[i+1:], " ")
			if strings.HasPrefix(arg, "'") {
				arg = arg[1:]
				arg, _, _ = strings.Cut(arg, "'")
			} else {
				arg = fields[i+1]
			}
			if k, v, ok := strings.Cut(arg, "="); ok {
				extra.Add(k, v)
			}
		}
	}
	if path == "" || !strings.HasPrefix(path, "/") {
		return ""
	}
	if len(extra) > 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + extra.Encode()
	}
	return path
}

// docsPageData is the /docs page.
type docsPageData struct {
	pageBase
	Docs *apiDocs
}

// docsPage answers GET /docs.
func (s *server) docsPage(c *gin.Context) (string, any, error) {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return "", nil, err
	}
	// The reference is made of the binary alone: its ETag is the
	// server's revision (spec, templates, assets), not the dataset's.
	etag := `"` + hex.EncodeToString(s.cache.revision[:12]) + `"`
	c.Header("ETag", etag)
	c.Header("Cache-Control", s.cache.control)
	if tag, ok := etagMatch(c.GetHeader("If-None-Match"), etag); ok {
		c.Header("ETag", tag)
		c.Status(http.StatusNotModified)
		c.Writer.WriteHeaderNow()
		return "", nil, nil
	}
	return "docs", docsPageData{
		pageBase: pageBase{Title: "API reference", Nav: "docs", Canonical: baseURL(c) + "/docs",
			Description: "The timeline API: every operation, parameter and response, and examples."},
		Docs: s.pages.docs,
	}, nil
}
