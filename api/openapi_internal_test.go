package api

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// TestSpecToJSON checks that /openapi.json is the YAML document, value for
// value: decoded both ways (YAML with keys as strings), they are equal.
func TestSpecToJSON(t *testing.T) {
	spec, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := specToJSON(spec)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var y any
	if err := yaml.Unmarshal(spec, &y); err != nil {
		t.Fatal(err)
	}
	// Round-trip the YAML through encoding/json's view of values.
	want := jsonView(t, y)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("openapi.json differs from openapi.yaml (-yaml +json):\n%s", diff)
	}
	small, err := specToJSON([]byte("a:\n  200: {x: 1.5, d: 2020-06-29, n: null, b: true}\n  l: [1, two]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":{"200":{"x":1.5,"d":"2020-06-29","n":null,"b":true},"l":[1,"two"]}}`; string(small) != want {
		t.Errorf("got %s, want %s", small, want)
	}
}

// jsonView converts a yaml.v3 value to what encoding/json would decode:
// map keys as strings, numbers as float64.
func jsonView(t *testing.T, v any) any {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = jsonView(t, e)
		}
		return out
	case map[any]any:
		out := map[string]any{}
		for k, e := range v {
			ks, _ := json.Marshal(k)
			var s string
			if json.Unmarshal(ks, &s) != nil {
				s = string(ks)
			}
			out[s] = jsonView(t, e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonView(t, e)
		}
		return out
	case int:
		return float64(v)
	case uint64:
		return float64(v)
	case int64:
		return float64(v)
	default:
		return v
	}
}
