package imshttp

import "testing"

func TestParseRange(t *testing.T) {
	const size = 1000
	cases := []struct {
		name           string
		header         string
		offset, length int64
		ok, wantErr    bool
	}{
		{"closed", "bytes=10-19", 10, 10, true, false},
		{"open end", "bytes=990-", 990, 10, true, false},
		{"suffix", "bytes=-5", 995, 5, true, false},
		{"suffix longer than the data", "bytes=-5000", 0, 1000, true, false},
		{"end past the size is clipped", "bytes=900-5000", 900, 100, true, false},
		{"start at the size", "bytes=1000-", 0, 0, false, true},
		{"end before start", "bytes=20-10", 0, 0, false, true},
		{"garbage", "bytes=x-y", 0, 0, false, true},
		{"multiple ranges are served whole", "bytes=0-1,5-6", 0, -1, false, false},
		{"other unit is ignored", "items=0-1", 0, -1, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			off, n, ok, err := parseRange(c.header, size)
			if (err != nil) != c.wantErr || ok != c.ok || (c.ok && (off != c.offset || n != c.length)) {
				t.Fatalf("parseRange(%q) = %d, %d, %v, %v", c.header, off, n, ok, err)
			}
		})
	}
}
