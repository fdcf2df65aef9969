package models

// parsePGTextArray appends to dst the elements of b, a one-dimensional
// PostgreSQL text[] in its text form ({a,"b c","d\"e"}), as array_agg of
// a NOT NULL column writes it; NULL (no array) appends nothing. An element
// is quoted when it is empty or holds braces, a comma, a quote, a
// backslash or white space, or reads NULL; inside quotes, a quote or
// backslash is escaped by a backslash.
func parsePGTextArray(b []byte, dst []string) ([]string, error) {
	if b == nil {
		return dst, nil
	}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return dst, errBadAggregate
	}
	body := b[1 : len(b)-1]
	if len(body) == 0 {
		return dst, nil
	}
	var esc []byte
	for i := 0; ; {
		if i < len(body) && body[i] == '"' {
			j, escaped := i+1, false
			for ; j < len(body) && body[j] != '"'; j++ {
				if body[j] == '\\' {
					escaped = true
					j++
				}
			}
			if j >= len(body) {
				return dst, errBadAggregate
			}
			if !escaped {
				dst = append(dst, string(body[i+1:j]))
			} else {
				esc = esc[:0]
				for k := i + 1; k < j; k++ {
					if body[k] == '\\' {
						k++
					}
					esc = append(esc, body[k])
				}
				dst = append(dst, string(esc))
			}
			i = j + 1
		} else {
			j := i
			for j < len(body) && body[j] != ',' {
				j++
			}
			if j == i || (j-i == 4 && string(body[i:j]) == "NULL") {
				return dst, errBadAggregate // an empty element is quoted; a NULL one is not ours
			}
			dst = append(dst, string(body[i:j]))
			i = j
		}
		if i == len(body) {
			return dst, nil
		}
		if body[i] != ',' {
			return dst, errBadAggregate
		}
		i++
	}
}

// parsePGIntArray appends to dst the elements of b, a one-dimensional
// PostgreSQL integer[] in its text form ({1,2,-3}); NULL appends nothing.
func parsePGIntArray(b []byte, dst []int) ([]int, error) {
	if b == nil {
		return dst, nil
	}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return dst, errBadAggregate
	}
	body := b[1 : len(b)-1]
	if len(body) == 0 {
		return dst, nil
	}
	v, neg, digits := 0, false, 0
	for i := 0; i <= len(body); i++ {
		switch {
		case i == len(body) || body[i] == ',':
			if digits == 0 {
				return dst, errBadAggregate
			}
			if neg {
				v = -v
			}
			dst = append(dst, v)
			v, neg, digits = 0, false, 0
		case body[i] == '-' && digits == 0 && !neg:
			neg = true
		case body[i] >= '0' && body[i] <= '9' && digits < 10:
			v, digits = v*10+int(body[i]-'0'), digits+1
		default:
			return dst, errBadAggregate
		}
	}
	return dst, nil
}
