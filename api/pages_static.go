package api

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed web/static
var staticFiles embed.FS

// assetMaxAge is the Cache-Control of a fingerprinted asset: its URL
// changes whenever any asset does, so it never needs revalidating.
const assetMaxAge = "public, max-age=31536000, immutable"

// assetTypes are the media types of the embedded assets, not left to the
// host's MIME tables.
var assetTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".ttf":   "font/ttf",
	".eot":   "application/vnd.ms-fontobject",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".txt":   "text/plain; charset=utf-8",
	"":       "text/plain; charset=utf-8", // LICENSE, VERSION
}

// assetServer serves web/static under /static/{hash}/, where hash
// fingerprints every asset together. One fingerprint for the whole tree,
// rather than one per file, keeps the relative URLs inside vendored CSS
// (TimelineJS's icon font) working.
type assetServer struct {
	files fs.FS
	hash  []byte
	// prefix is "/static/{hash}/".
	prefix string
}

func newAssetServer() (assetServer, error) {
	files, err := fs.Sub(staticFiles, "web/static")
	if err != nil {
		return assetServer{}, err
	}
	h := sha256.New()
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		h.Write([]byte(p + "\x00"))
		h.Write(data)
		return nil
	})
	if err != nil {
		return assetServer{}, err
	}
	sum := h.Sum(nil)
	return assetServer{files: files, hash: sum, prefix: "/static/" + hex.EncodeToString(sum[:6]) + "/"}, nil
}

// path is the fingerprinted URL path of the asset name, for templates.
func (a assetServer) path(name string) string { return a.prefix + name }

// serve answers GET /static/{hash}/{path}. A stale or unknown fingerprint
// is a 404: answering it with today's file would let a cache keep it for
// a year under yesterday's URL.
func (a assetServer) serve(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	name := strings.TrimPrefix(c.Param("path"), "/")
	if "/static/"+c.Param("hash")+"/" != a.prefix || name == "" || !fs.ValidPath(name) {
		return notFound("No asset at this path; pages link to the current ones.")
	}
	data, err := fs.ReadFile(a.files, name)
	if err != nil {
		return notFound("No asset at this path; pages link to the current ones.")
	}
	ext := path.Ext(name)
	ctype, ok := assetTypes[ext]
	if !ok {
		ctype = "application/octet-stream"
	}
	h := c.Writer.Header()
	etag := `"` + hex.EncodeToString(a.hash[:9]) + `"`
	h.Set("ETag", etag)
	h.Set("Cache-Control", assetMaxAge)
	if inm := c.GetHeader("If-None-Match"); inm != "" {
		if tag, ok := etagMatch(inm, etag); ok {
			h.Set("ETag", tag)
			c.Status(http.StatusNotModified)
			c.Writer.WriteHeaderNow()
			return nil
		}
	}
	c.Data(http.StatusOK, ctype, data)
	return nil
}
