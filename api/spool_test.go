package api

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"testing"
)

// TestSpoolBody: the idempotency middleware fingerprints a body while
// reading it, and keeps at most spoolInMemory bytes of it in memory; a
// larger body is read back from a temporary file, removed on Close.
func TestSpoolBody(t *testing.T) {
	for _, c := range []struct {
		name     string
		size     int
		inMemory bool
	}{
		{"small", 1000, true},
		{"at the limit", spoolInMemory, true},
		{"large", 8*spoolInMemory + 7, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := bytes.Repeat([]byte("0123456789abcdef"), c.size/16+1)[:c.size]
			h := sha256.New()
			body, err := spoolBody(bytes.NewReader(data), h, spoolInMemory)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := h.Sum(nil), sha256.Sum256(data); !bytes.Equal(got, want[:]) {
				t.Errorf("got fingerprint %x, want %x", got, want)
			}
			if body.inMemory() != c.inMemory {
				t.Errorf("got in memory %v, want %v", body.inMemory(), c.inMemory)
			}
			var name string
			if !c.inMemory {
				name = body.file.Name()
				if st, err := os.Stat(name); err != nil || st.Size() != int64(c.size) {
					t.Errorf("temporary file: got %v, %v; want %d bytes", st, err, c.size)
				}
			}
			got, err := io.ReadAll(body)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("read back %d bytes (%v), want the %d written", len(got), err, len(data))
			}
			if err := body.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			if name != "" {
				if _, err := os.Stat(name); !os.IsNotExist(err) {
					t.Errorf("the temporary file %s is still there after Close (%v)", name, err)
				}
			}
		})
	}
}
