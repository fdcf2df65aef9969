package api

import (
	"encoding/base64"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// FuzzCursor decodes arbitrary cursor parameters. Whatever the input,
// decoding never panics, and nothing but a cursor this codec signed for
// this very query is accepted.
func FuzzCursor(f *testing.F) {
	cc := cursorCodec{key: []byte("fuzz-key")}
	filter := models.EventFilter{Types: []string{"statement"}}
	valid := cc.encode(filter, models.EventKey{StartDate: models.Date{Year: 2019, Month: 10, Day: 8}, ID: "csto-2019"})
	for _, s := range []string{valid, valid + "x", valid[:len(valid)-2], "garbage", ".", "", "a.b",
		cc.encode(models.EventFilter{}, models.EventKey{StartDate: models.Date{Year: 2019, Month: 1, Day: 1}, ID: "x"})} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := cc.decode(s, filter)
		if err != nil {
			return
		}
		if s != valid && cc.encode(filter, key) != s {
			t.Fatalf("decode(%q): got %+v accepted, want only cursors this codec issued for this query", s, key)
		}
	})
}

// FuzzCursorPayload signs arbitrary payloads with the codec's own key, as
// if the key had leaked, and decodes them: what follows the signature
// check must still reject every payload that is not a date and an id.
func FuzzCursorPayload(f *testing.F) {
	cc := cursorCodec{key: []byte("fuzz-key")}
	filter := models.EventFilter{Years: []int{2019}}
	q := queryFingerprint(filter)
	for _, body := range []string{`{"s":"2019-10-08","i":"csto-2019","q":"` + q + `"}`,
		`{"s":"0000-00-00","i":"x","q":"` + q + `"}`, `{"s":"2019-10-08","i":"Robert'); DROP TABLE events;--","q":"` + q + `"}`,
		`{"s":"2019-10-08","i":"a","q":"` + q + `","r":1e308}`, `{"q":"` + q + `"}`, `null`, `[]`, `{"s":1}`} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(cc.sign(body))
		key, err := cc.decode(s, filter)
		if err != nil {
			return
		}
		if !models.ValidSlug(key.ID) {
			t.Fatalf("payload %q: got id %q accepted, want only valid ids", body, key.ID)
		}
		if _, err := models.ParseDate(key.StartDate.String()); err != nil {
			t.Fatalf("payload %q: got date %v accepted, want only valid dates", body, key.StartDate)
		}
	})
}
