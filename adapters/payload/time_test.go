package payload

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeReadsEveryProviderFormat(t *testing.T) {
	want := time.Date(2021, 7, 23, 18, 2, 48, 0, time.UTC)
	cases := []struct {
		name string
		raw  string
		want time.Time
	}{
		{"RFC3339 with milliseconds", `"2021-07-23T18:02:48.000Z"`, want},
		{"RFC3339 without fraction", `"2021-07-23T18:02:48Z"`, want},
		{"RFC3339 with offset", `"2021-07-23T23:32:48+05:30"`, want},
		{"RFC3339 with microseconds", `"2021-07-23T18:02:48.123456Z"`, want.Add(123456 * time.Microsecond)},
		{"no zone means UTC", `"2021-07-23T18:02:48"`, want},
		{"space separated", `"2021-07-23 18:02:48"`, want},
		{"Ruby default format", `"2021-07-23 23:32:48 +0530"`, want},
		{"Unix seconds integer", `1627063368`, want},
		{"Unix seconds float", `1627063368.25`, want.Add(250 * time.Millisecond)},
		{"Unix seconds as string", `"1627063368"`, want},
		{"Unix milliseconds number", `1627063368000`, want},
		{"Unix milliseconds string", `"1627063368000"`, want},
		{"browser date string", `"Fri Jul 23 2021 23:32:48 GMT+0530 (India Standard Time)"`, want},
		{"browser date string without zone name", `"Fri Jul 23 2021 23:32:48 GMT+0530"`, want},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Time(json.RawMessage(c.raw))
			if !ok || !got.Equal(c.want) {
				t.Fatalf("Time(%s) = %v, %v; want %v", c.raw, got, ok, c.want)
			}
			if got.Location() != time.UTC {
				t.Fatalf("Time(%s) not in UTC", c.raw)
			}
		})
	}
}

func TestTimeRefusesWhatIsNotATime(t *testing.T) {
	for _, raw := range []string{``, `null`, `""`, `"soon"`, `true`, `{}`, `[]`, `0`, `-5`, `"0001-01-01T00:00:00Z"`, `"10000-01-01T00:00:00Z"`, `1e300`, `"2021-13-45T00:00:00Z"`} {
		if got, ok := Time(json.RawMessage(raw)); ok {
			t.Errorf("Time(%s) = %v, want no time", raw, got)
		}
	}
}

func TestIDCanonicalForm(t *testing.T) {
	cases := map[string]string{`1234`: "1234", `"1234"`: "1234", `1234.0`: "1234", `" abc "`: "abc", `"0042"`: "42"}
	for raw, want := range cases {
		if got, ok := ID(json.RawMessage(raw)); !ok || got != want {
			t.Errorf("ID(%s) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{`null`, `""`, `true`, `{}`} {
		if got, ok := ID(json.RawMessage(raw)); ok {
			t.Errorf("ID(%s) = %q, want none", raw, got)
		}
	}
	if got := Key(string(make([]byte, 200))); len(got) != len("sha256:")+64 {
		t.Errorf("long key not hashed: %q", got)
	}
}
