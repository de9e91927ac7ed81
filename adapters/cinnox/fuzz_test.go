package cinnox

import (
	"testing"

	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
)

// FuzzParse runs the shared contract fuzz target (challenge replies
// included) over CINNOX's shapes.
func FuzzParse(f *testing.F) {
	adapterstest.FuzzParse(f, New(), nil, `{"challenge":""}`, `{"challenge":"\u0000"}`,
		`{"eid":1,"status":"x y"}`, `{"message":{"type":"contact","status":"staffEdit","id":1}}`)
}
