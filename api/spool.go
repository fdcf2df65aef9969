package api

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// spoolInMemory is how much of a request body the idempotency middleware
// keeps in memory; the rest of a larger body goes to a temporary file.
const spoolInMemory = 1 << 20

// spooledBody is a request body read once to fingerprint it, read again by
// the handler: from memory, or from a temporary file removed on Close.
type spooledBody struct {
	io.Reader
	mem  *bytes.Reader
	file *os.File
}

// spoolBody reads r to its end through h and returns a body that reads
// the same bytes again: in memory up to limit bytes, else from a
// temporary file, so that memory does not grow with the body. Errors are
// r's (such as *http.MaxBytesError) or the file's.
func spoolBody(r io.Reader, h io.Writer, limit int64) (*spooledBody, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.TeeReader(io.LimitReader(r, limit+1), h))
	if err != nil {
		return nil, err
	}
	if n <= limit {
		mem := bytes.NewReader(buf.Bytes())
		return &spooledBody{Reader: mem, mem: mem}, nil
	}
	f, err := os.CreateTemp("", "timeline-body-*")
	if err != nil {
		return nil, err
	}
	body := &spooledBody{file: f}
	if _, err := f.Write(buf.Bytes()); err != nil {
		body.Close()
		return nil, err
	}
	buf = bytes.Buffer{} // the first megabyte is in the file now
	if _, err := io.Copy(f, io.TeeReader(r, h)); err != nil {
		body.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		body.Close()
		return nil, err
	}
	body.Reader = f
	return body, nil
}

// inMemory reports whether the body is held in memory.
func (b *spooledBody) inMemory() bool { return b.file == nil }

// Close removes the temporary file, if any.
func (b *spooledBody) Close() error {
	if b.file == nil {
		return nil
	}
	err := errors.Join(b.file.Close(), os.Remove(b.file.Name()))
	b.file = nil
	return err
}
