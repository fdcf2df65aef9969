package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// TestExtendWriteDeadline streams five chunks over 1.5 s from a server
// whose WriteTimeout is 1 s: the stream that extends its deadline before
// each chunk arrives whole, also through the compression wrapper, and the
// one that does not is cut off.
func TestExtendWriteDeadline(t *testing.T) {
	const timeout = time.Second
	s := &server{writeTimeout: timeout}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	stream := func(extend bool) gin.HandlerFunc {
		return func(c *gin.Context) {
			for i := range 5 {
				if extend {
					if err := s.extendWriteDeadline(c); err != nil {
						t.Errorf("extendWriteDeadline: %v", err)
						return
					}
				}
				if _, err := io.WriteString(c.Writer, strings.Repeat("x", 300)+"\n"); err != nil {
					return
				}
				c.Writer.Flush()
				if i < 4 {
					time.Sleep(300 * time.Millisecond)
				}
			}
		}
	}
	r.GET("/extended", stream(true))
	r.GET("/fixed", stream(false))
	compressed, err := Compress(r)
	if err != nil {
		t.Fatal(err)
	}
	start := func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.Config.WriteTimeout = timeout
		srv.Start()
		t.Cleanup(srv.Close)
		return srv
	}
	srv, gz := start(r), start(compressed)

	fetch := func(srv *httptest.Server, path string) (int, error) {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		if srv != gz && res.Uncompressed || srv == gz && !res.Uncompressed {
			t.Errorf("GET %s: got Uncompressed %t, want gzip from the compressing server only", path, res.Uncompressed)
		}
		b, err := io.ReadAll(res.Body)
		return strings.Count(string(b), "\n"), err
	}
	if lines, err := fetch(srv, "/extended"); err != nil || lines != 5 {
		t.Errorf("extended stream: got %d lines, %v; want all 5", lines, err)
	}
	if lines, err := fetch(gz, "/extended"); err != nil || lines != 5 {
		t.Errorf("extended stream, gzip: got %d lines, %v; want all 5", lines, err)
	}
	if lines, err := fetch(srv, "/fixed"); err == nil && lines == 5 {
		t.Errorf("stream without extension: got all 5 lines, want it cut off by the 1s WriteTimeout (else this test proves nothing)")
	}
}
