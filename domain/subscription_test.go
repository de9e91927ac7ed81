package domain

import (
	"bytes"
	"testing"
)

// The delivery log and the metrics keep the lower-case outcome; GraphQL
// shows it as an upper-case enum value and reads only that back.
func TestDeliveryOutcomeIsAnUpperCaseGraphQLEnum(t *testing.T) {
	for _, o := range DeliveryOutcomes {
		var b bytes.Buffer
		o.MarshalGQL(&b)
		var back DeliveryOutcome
		if err := back.UnmarshalGQL(b.String()[1 : b.Len()-1]); err != nil || back != o {
			t.Fatalf("%q written as %s reads back as %q, %v", o, b.String(), back, err)
		}
	}
	for _, bad := range []any{"accepted", "ACCEPTED ", "DELIVERED", 1} {
		var o DeliveryOutcome
		if err := o.UnmarshalGQL(bad); ErrorCode(err) != EINVALID {
			t.Errorf("UnmarshalGQL(%#v) = %v, want an invalid-input error", bad, err)
		}
	}
}
