package payload

import "testing"

func TestIsName(t *testing.T) {
	for _, c := range []struct {
		s      string
		spaces bool
		want   bool
	}{
		{"conversation.created", false, true},
		{"ConversationCreated_v2-x", false, true},
		{"", false, false},
		{"with space", false, false},
		{"with space", true, true},
		{" padded", true, false},
		{"nul\x00", false, false},
		{"{\"a\":1}", false, false},
		{"0123456789", false, true},
	} {
		if got := IsName(c.s, 64, c.spaces); got != c.want {
			t.Errorf("IsName(%q, spaces %v) = %v, want %v", c.s, c.spaces, got, c.want)
		}
	}
	if IsName("abcdef", 5, false) {
		t.Error("a name over the limit was accepted")
	}
}
