package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"
)

// openAPIJSON serves the API contract as JSON.
func (s *server) openAPIJSON(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", s.specJSON)
	return nil
}

// specToJSON converts the YAML OpenAPI document to JSON once, keeping the
// order of its keys. Every mapping key becomes a JSON string, as OpenAPI
// requires ("200", not 200).
func specToJSON(spec []byte) ([]byte, error) {
	if len(spec) == 0 {
		return nil, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("openapi spec: %w", err)
	}
	var b bytes.Buffer
	if err := writeYAMLAsJSON(&b, &doc); err != nil {
		return nil, fmt.Errorf("openapi spec to JSON: %w", err)
	}
	return b.Bytes(), nil
}

func writeYAMLAsJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: want one document", n.Line)
		}
		return writeYAMLAsJSON(b, n.Content[0])
	case yaml.AliasNode:
		return writeYAMLAsJSON(b, n.Alias)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(n.Content[i].Value)
			b.Write(key)
			b.WriteByte(':')
			if err := writeYAMLAsJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeYAMLAsJSON(b, item); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		if n.Tag == "!!timestamp" || n.Tag == "!!binary" {
			// OpenAPI reads YAML by JSON's rules: an unquoted date is a
			// string.
			out, _ := json.Marshal(n.Value)
			b.Write(out)
			return nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		out, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		b.Write(out)
	default:
		return fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
	}
	return nil
}
